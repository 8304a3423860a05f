"""Issue 14's figures change what the transparency report counts: removals by initiative by the day the
listing came down (own-initiative cases against notice-based ones, with the ratio and the removals before the
first sale), the screening and referral sections, own-initiative actions in the harmonised template, and the
notice figures without the own-initiative cases. Stored snapshots computed under the old definitions are
deleted to be recomputed (ReportSnapshot's docstring); ReportPublication, the first publication dates, is
left alone. No index is added: reports/proactive.py says which existing index each figure reads."""

from django.db import migrations


def drop_stored_reports(apps, schema_editor):
    apps.get_model("takedowns", "ReportSnapshot").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("takedowns", "0030_proactive_protection"),
    ]

    operations = [
        migrations.RunPython(drop_stored_reports, migrations.RunPython.noop),
    ]
