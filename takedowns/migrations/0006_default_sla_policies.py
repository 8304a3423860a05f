"""The starting SLA targets of PRODUCT.md, as policies leads can edit in the admin. The
counter-notice restore clock has none: its deadline is the legal window (COUNTER_NOTICE_* settings)."""

from datetime import timedelta

from django.db import migrations

DEFAULTS = [
    ("acknowledgement", timedelta(minutes=15)),
    ("takedown_decision", timedelta(hours=24)),
    ("takedown_executed", timedelta(minutes=15)),
    ("seller_penalty", timedelta(hours=72)),
    ("appeal_decision", timedelta(days=7)),
]


def create(apps, schema_editor):
    SlaPolicy = apps.get_model("takedowns", "SlaPolicy")
    for clock, target in DEFAULTS:
        if not SlaPolicy.objects.filter(clock=clock, right_type="", reason="", min_priority=0).exists():
            SlaPolicy.objects.create(clock=clock, target=target, warn_ratio=0.8, business_hours=False,
                                     timezone="Europe/Berlin")


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0005_sla_penalties_counter_notices_appeals")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
