"""Issue 12, item 9 (DMCA 512(g)(2)(C)): counter-notices already waiting for their restore keep the dates
planned under the old rule (counted from the completeness check, on UTC dates), some after the 14th US
business day following receipt. Each is moved into the law's window: not before the end of the 10th
business day after receipt (filed_at), nor after the end of the 14th (legal.clamp_restore_due_at, a pure
function of the dates and the COUNTER_NOTICE_* settings). Its running restore clock is then due at the end
of the 14th, as accept_counter_notice sets it today. Each moved date gets a counter_notice_accepted event
(the event that set the date) by the system, whose details say it was moved and from when to when.

Not under the demo's COUNTER_NOTICE_WINDOW_SECONDS, which counts seconds from the check on purpose.
Backwards: nothing to undo (the old dates were outside the law). Also: the new label of the event kind
counter_notice_accepted ("Counter-notice complete: copy sent, restore planned"; the value stays)."""

from django.conf import settings
from django.db import migrations, models
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

    operations = [
        # The label of counter_notice_accepted says what happens now (the value stays).
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(choices=[('filed', 'Notice filed'), ('confirmed', 'E-mail address confirmed'), ('item_resolved', 'Listing looked up at the marketplace'), ('routed', 'Assigned to a reviewer'), ('routing_deferred', 'No reviewer available yet'), ('withdrawn', 'Withdrawn'), ('expired', 'Expired without confirmation'), ('refused', "Refused: the notifier's notices are suspended"), ('claimed', 'Claimed by a reviewer'), ('released', 'Handed back to the queue'), ('reassigned', 'Reassigned by a lead'), ('escalated', 'Escalated to a lead'), ('item_decided', 'Listing decided'), ('listing_removed', 'Listing taken down at the marketplace'), ('closed', 'Every listing decided'), ('nothing_to_decide', 'Closed: no reported listing could be reviewed'), ('info_requested', 'Information requested from the submitter'), ('awaiting_submitter', 'Waiting for the submitter'), ('info_answered', 'The submitter answered'), ('back_in_review', 'Back with the reviewer'), ('info_expired', 'No answer in time'), ('reopened', 'Reopened for a new decision (a successful appeal or a resubmitted fix)'), ('clock_started', 'SLA clock started'), ('clock_paused', 'SLA clock paused'), ('clock_resumed', 'SLA clock resumed'), ('clock_stopped', 'SLA clock stopped'), ('clock_warned', 'SLA clock about to breach'), ('clock_breached', 'SLA target breached'), ('strike_recorded', 'Strike recorded against the seller'), ('strike_expired', 'Strike expired'), ('strike_reversed', 'Strike removed'), ('penalty_decided', 'Seller penalty decided'), ('penalty_applied', 'Seller penalty applied at the marketplace'), ('penalty_lifted', 'Seller penalty lifted'), ('penalty_not_decided', 'No new penalty: the account is already terminated'), ('counter_notice_filed', 'Counter-notice filed by the seller'), ('counter_notice_incomplete', 'Counter-notice returned as incomplete'), ('counter_notice_accepted', 'Counter-notice complete: copy sent, restore planned'), ('lawsuit_reported', 'Rights holder reported a lawsuit'), ('listing_restored', 'Listing restored at the marketplace'), ('appeal_filed', 'Appeal filed'), ('appeal_decided', 'Appeal decided'), ('resubmitted', 'Listing fixed and resubmitted by the submitter')], max_length=32),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
