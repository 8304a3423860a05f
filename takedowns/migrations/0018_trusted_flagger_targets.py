"""Issue 12, the figures:

- Trusted flaggers' own SLA targets (DSA Art. 22(1), "processed and decided upon with priority"):
  SlaPolicy.trusted_flagger_only, and default policies with shorter targets for the two clocks
  that order the review queue (acknowledgement 5 min, takedown decision 12 h). clocks.policy_for
  prefers them for a trusted flagger's notice, so its due time, the queue's order, comes first.
- SlaClock.reopened: a takedown-decision clock started when an appeal reopened a decided notice
  (a re-decision, counted apart from the notices decided); set here for the clocks before it.
- SlaClock.elapsed is the clock's own time (working time on business-hours calendars).
- Clocks stopped while paused (the notice closed because the submitter never answered) kept the
  due time they had before their last pause and counted as late; their due and warning times move
  by that pause here, as workflow/clocks.stop_clock now does, and business-hours clocks get their
  elapsed time in working time. The clock roll-up is emptied (its next refresh rebuilds it from the
  clock table; until then the dashboard reads live) and the stored transparency reports are
  dropped (recomputed on view or by beat).
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import Exists, OuterRef

from takedowns import sla

TRUSTED_FLAGGER_TARGETS = [
    ("acknowledgement", timedelta(minutes=5)),
    ("takedown_decision", timedelta(hours=12)),
]


def trusted_flagger_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("takedowns", "SlaPolicy")
    for clock, target in TRUSTED_FLAGGER_TARGETS:
        if not SlaPolicy.objects.filter(clock=clock, trusted_flagger_only=True).exists():
            SlaPolicy.objects.create(clock=clock, target=target, warn_ratio=0.8, business_hours=False,
                                     timezone="Europe/Berlin", trusted_flagger_only=True)


def mark_reopened(apps, schema_editor):
    SlaClock = apps.get_model("takedowns", "SlaClock")
    earlier = SlaClock.objects.filter(notice=OuterRef("notice"), kind="takedown_decision", cancelled=False,
                                      stopped_at__isnull=False, started_at__lt=OuterRef("started_at"))
    SlaClock.objects.filter(kind="takedown_decision").filter(Exists(earlier)).update(reopened=True)


def correct_clocks(apps, schema_editor):
    SlaClock = apps.get_model("takedowns", "SlaClock")
    Event = apps.get_model("takedowns", "Event")
    # The last pause of each clock that no resume followed: the clock was stopped while paused.
    paused: dict[int, object] = {}
    for kind, details, created_at in (Event.objects.filter(kind__in=["clock_paused", "clock_resumed"])
                                      .order_by("created_at", "id").values_list("kind", "details", "created_at")
                                      .iterator(chunk_size=2000)):
        clock_id = (details or {}).get("clock_id")
        if clock_id is not None:
            paused[clock_id] = created_at if kind == "clock_paused" else None
    last_pause = {clock_id: moment for clock_id, moment in paused.items() if moment is not None}
    ids = sorted(last_pause)
    for first in range(0, len(ids), 500):  # within SQLite's limit of query parameters
        changed = []
        for clock in SlaClock.objects.filter(pk__in=ids[first:first + 500], stopped_at__isnull=False):
            paused_at = last_pause[clock.pk]
            if paused_at <= clock.stopped_at:
                calendar = sla.Calendar.from_terms(clock.calendar)
                clock.due_at = sla.moved_by_pause(clock.due_at, paused_at, clock.stopped_at, calendar)
                clock.warn_at = sla.moved_by_pause(clock.warn_at, paused_at, clock.stopped_at, calendar)
                clock.elapsed = sla.elapsed_in_own_time(clock.target, clock.due_at, clock.stopped_at, calendar)
                changed.append(clock)
        SlaClock.objects.bulk_update(changed, ["due_at", "warn_at", "elapsed"])
    # Business-hours clocks: elapsed in working time (round the clock it already was wall-clock time).
    changed = []
    for clock in SlaClock.objects.filter(stopped_at__isnull=False, calendar__business_hours=True).iterator(
            chunk_size=2000):
        clock.elapsed = sla.elapsed_in_own_time(clock.target, clock.due_at, clock.stopped_at,
                                                sla.Calendar.from_terms(clock.calendar))
        changed.append(clock)
        if len(changed) == 1000:
            SlaClock.objects.bulk_update(changed, ["elapsed"])
            changed = []
    SlaClock.objects.bulk_update(changed, ["elapsed"])
    # The roll-up counted the old figures: emptied, the next refresh rebuilds it (clock_rollup.py).
    apps.get_model("takedowns", "ClockDurationsDay").objects.all().delete()
    apps.get_model("takedowns", "ClockRollupMark").objects.filter(pk=1).update(through=None)
    apps.get_model("takedowns", "ReportSnapshot").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0017_item_seller_window'),
    ]

    operations = [
        migrations.AddField(
            model_name='slaclock',
            name='reopened',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='slapolicy',
            name='trusted_flagger_only',
            field=models.BooleanField(db_default=False, default=False, help_text='Applies only to notices from trusted flaggers (DSA Art. 22); such a notice falls due by the earlier of this policy and the one that would apply otherwise.'),
        ),
        migrations.AlterField(
            model_name='slaclock',
            name='elapsed',
            field=models.DurationField(blank=True, help_text="The clock's own time from start to stop, pauses left out: working time on its calendar (wall-clock time round the clock).", null=True),
        ),
        migrations.AddIndex(
            model_name='slaclock',
            index=models.Index(condition=models.Q(('cancelled', False), ('reopened', True), ('stopped_at__isnull', False)), fields=['stopped_at'], name='clock_redecided'),
        ),
        migrations.RunPython(trusted_flagger_policies, migrations.RunPython.noop),
        migrations.RunPython(mark_reopened, migrations.RunPython.noop),
        migrations.RunPython(correct_clocks, migrations.RunPython.noop),
    ]
