"""Issue 12, items 4-6: Penalty.automated (DSA Art. 15(1)(e): every penalty so far was decided by the
strike ladder, so existing rows are automated); the event kinds of a strike on a terminated account
and of a notice closed at routing; and the stored transparency reports dropped, because their
"automated means" section lacks the penalty figures (each is recomputed on its next read or by beat).

Notices left in review with no listing to decide by routing before this change are closed by the
routing sweep (workflow/routing.py, close_undecidable), not here: it writes their events and e-mails
through the workflow, which a migration's historical models cannot."""

from django.db import migrations, models


def drop_stored_reports(apps, schema_editor):
    apps.get_model("takedowns", "ReportSnapshot").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("takedowns", "0019_counter_notice_filings_and_contact"),
    ]

    operations = [
        migrations.AddField(
            model_name="penalty",
            name="automated",
            field=models.BooleanField(db_default=True, help_text="Decided by the strike ladder, without a person."),
        ),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(choices=[('filed', 'Notice filed'), ('confirmed', 'E-mail address confirmed'), ('item_resolved', 'Listing looked up at the marketplace'), ('routed', 'Assigned to a reviewer'), ('routing_deferred', 'No reviewer available yet'), ('withdrawn', 'Withdrawn'), ('expired', 'Expired without confirmation'), ('refused', "Refused: the notifier's notices are suspended"), ('claimed', 'Claimed by a reviewer'), ('released', 'Handed back to the queue'), ('reassigned', 'Reassigned by a lead'), ('escalated', 'Escalated to a lead'), ('item_decided', 'Listing decided'), ('listing_removed', 'Listing taken down at the marketplace'), ('closed', 'Every listing decided'), ('nothing_to_decide', 'Closed: no reported listing could be reviewed'), ('info_requested', 'Information requested from the submitter'), ('awaiting_submitter', 'Waiting for the submitter'), ('info_answered', 'The submitter answered'), ('back_in_review', 'Back with the reviewer'), ('info_expired', 'No answer in time'), ('reopened', 'Reopened after an appeal'), ('clock_started', 'SLA clock started'), ('clock_paused', 'SLA clock paused'), ('clock_resumed', 'SLA clock resumed'), ('clock_stopped', 'SLA clock stopped'), ('clock_warned', 'SLA clock about to breach'), ('clock_breached', 'SLA target breached'), ('strike_recorded', 'Strike recorded against the seller'), ('strike_expired', 'Strike expired'), ('strike_reversed', 'Strike removed'), ('penalty_decided', 'Seller penalty decided'), ('penalty_applied', 'Seller penalty applied at the marketplace'), ('penalty_lifted', 'Seller penalty lifted'), ('penalty_not_decided', 'No new penalty: the account is already terminated'), ('counter_notice_filed', 'Counter-notice filed by the seller'), ('counter_notice_incomplete', 'Counter-notice returned as incomplete'), ('counter_notice_accepted', 'Counter-notice complete: restore window started'), ('lawsuit_reported', 'Rights holder reported a lawsuit'), ('listing_restored', 'Listing restored at the marketplace'), ('appeal_filed', 'Appeal filed'), ('appeal_decided', 'Appeal decided')], max_length=32),
        ),
        migrations.RunPython(drop_stored_reports, migrations.RunPython.noop),
    ]
