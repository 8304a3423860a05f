"""Issue 12, item 9 (DMCA 512(g)(2)(C)): counter-notices already waiting for their restore keep the dates
planned under the old rule (counted from the completeness check, on UTC dates), some after the 14th US
business day following receipt. Each is moved into the law's window: not before the end of the 10th
business day after receipt (filed_at), nor after the end of the 14th (legal.clamp_restore_due_at, a pure
function of the dates and the COUNTER_NOTICE_* settings). Its running restore clock is then due at the end
of the 14th, as accept_counter_notice sets it today. Each moved date gets a counter_notice_accepted event
(the event that set the date) by the system, whose details say it was moved and from when to when.

Not under the demo's COUNTER_NOTICE_WINDOW_SECONDS, which counts seconds from the check on purpose.
Backwards: nothing to undo (the old dates were outside the law)."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from takedowns import legal

NOTE = ("Restore date moved by migration 0023 into the window of 17 U.S.C. 512(g)(2)(C): between the end of "
        "the 10th and the end of the 14th US business day after receipt.")


def forwards(apps, schema_editor):
    if settings.COUNTER_NOTICE_WINDOW_SECONDS:
        return
    CounterNotice = apps.get_model("takedowns", "CounterNotice")
    SlaClock = apps.get_model("takedowns", "SlaClock")
    Event = apps.get_model("takedowns", "Event")
    now = timezone.now()
    events = []
    waiting = (CounterNotice.objects.filter(status="waiting", restore_due_at__isnull=False)
               .select_related("decision__item__listing").order_by("pk"))
    for counter_notice in waiting.iterator(chunk_size=500):
        received_at = counter_notice.filed_at
        latest = legal.end_of_business_day(received_at, legal.LATEST_RESTORE_BUSINESS_DAYS)
        for clock in SlaClock.objects.filter(kind="counter_notice_restore", counter_notice=counter_notice,
                                             stopped_at=None).exclude(due_at=latest):
            SlaClock.objects.filter(pk=clock.pk).update(due_at=latest, warn_at=min(clock.warn_at, latest))
        before = counter_notice.restore_due_at
        after = legal.clamp_restore_due_at(received_at, before)
        if after == before:
            continue
        CounterNotice.objects.filter(pk=counter_notice.pk).update(restore_due_at=after)
        item = counter_notice.decision.item
        events.append(Event(
            notice_id=item.notice_id, item_id=item.pk, kind="counter_notice_accepted", actor_kind="system",
            created_at=now, details={
                "counter_notice": counter_notice.pk, "decision": counter_notice.decision_id,
                "listing": item.listing.external_id if item.listing_id else "",
                "received_at": received_at.isoformat(), "restore_due_at": after.isoformat(),
                "moved_from": before.isoformat(), "note": NOTE}))
    Event.objects.bulk_create(events)


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0022_report_templates_and_tdb_submission")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
