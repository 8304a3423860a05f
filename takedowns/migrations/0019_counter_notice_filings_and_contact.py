"""Issue 12: every filing of a counter-notice kept (items 3), the counter-notice completeness-check clock
and its default policy (item 9: two business days, New York, US holidays), and a copyright notice's postal
address and telephone (item 11, DMCA 512(c)(3)(A)(iv)).

The filings of counter-notices filed before this migration are rebuilt from the event log (one
counter_notice_filed event per filing, dated when it was written); a counter-notice whose events are
gone gets one filing, at its filed_at."""

from datetime import time, timedelta

import django.db.models.deletion
from django.db import migrations, models

CHECK_TARGET = timedelta(hours=16)  # two business days of 09:00-17:00


def forwards(apps, schema_editor):
    SlaPolicy = apps.get_model("takedowns", "SlaPolicy")
    if not SlaPolicy.objects.filter(clock="counter_notice_check", right_type="", reason="", min_priority=0).exists():
        SlaPolicy.objects.create(clock="counter_notice_check", target=CHECK_TARGET, warn_ratio=0.5,
                                 business_hours=True, timezone="America/New_York", country="US",
                                 day_start=time(9, 0), day_end=time(17, 0))
    CounterNotice = apps.get_model("takedowns", "CounterNotice")
    CounterNoticeFiling = apps.get_model("takedowns", "CounterNoticeFiling")
    Event = apps.get_model("takedowns", "Event")
    filings = [CounterNoticeFiling(counter_notice_id=event["details"]["counter_notice"], filed_at=event["created_at"],
                                   refiling=bool(event["details"].get("refiled")))
               for event in Event.objects.filter(kind="counter_notice_filed").values("details", "created_at")
               .iterator(chunk_size=2000)
               if event["details"].get("counter_notice")]
    known = set(CounterNotice.objects.values_list("pk", flat=True))
    CounterNoticeFiling.objects.bulk_create([filing for filing in filings if filing.counter_notice_id in known],
                                            batch_size=2000)
    CounterNoticeFiling.objects.bulk_create(
        [CounterNoticeFiling(counter_notice_id=pk, filed_at=filed_at, refiling=False)
         for pk, filed_at in CounterNotice.objects.filter(filings__isnull=True).values_list("pk", "filed_at")],
        batch_size=2000)


def backwards(apps, schema_editor):
    apps.get_model("takedowns", "SlaPolicy").objects.filter(clock="counter_notice_check").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0018_trusted_flagger_targets'),
    ]

    operations = [
        migrations.AddField(
            model_name='notice',
            name='submitter_address',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.AddField(
            model_name='notice',
            name='submitter_phone',
            field=models.CharField(blank=True, db_default='', default='', max_length=40),
        ),
        migrations.AlterField(
            model_name='clockbreachesday',
            name='kind',
            field=models.CharField(choices=[('acknowledgement', 'Acknowledgement'), ('takedown_decision', 'Takedown decision'), ('takedown_executed', 'Takedown executed'), ('seller_penalty', 'Seller penalty'), ('counter_notice_restore', 'Counter-notice restore'), ('appeal_decision', 'Appeal decision'), ('counter_notice_check', 'Counter-notice completeness check')], max_length=24),
        ),
        migrations.AlterField(
            model_name='clockdurationsday',
            name='kind',
            field=models.CharField(choices=[('acknowledgement', 'Acknowledgement'), ('takedown_decision', 'Takedown decision'), ('takedown_executed', 'Takedown executed'), ('seller_penalty', 'Seller penalty'), ('counter_notice_restore', 'Counter-notice restore'), ('appeal_decision', 'Appeal decision'), ('counter_notice_check', 'Counter-notice completeness check')], max_length=24),
        ),
        migrations.AlterField(
            model_name='slaclock',
            name='kind',
            field=models.CharField(choices=[('acknowledgement', 'Acknowledgement'), ('takedown_decision', 'Takedown decision'), ('takedown_executed', 'Takedown executed'), ('seller_penalty', 'Seller penalty'), ('counter_notice_restore', 'Counter-notice restore'), ('appeal_decision', 'Appeal decision'), ('counter_notice_check', 'Counter-notice completeness check')], max_length=24),
        ),
        migrations.AlterField(
            model_name='slapolicy',
            name='clock',
            field=models.CharField(choices=[('acknowledgement', 'Acknowledgement'), ('takedown_decision', 'Takedown decision'), ('takedown_executed', 'Takedown executed'), ('seller_penalty', 'Seller penalty'), ('counter_notice_restore', 'Counter-notice restore'), ('appeal_decision', 'Appeal decision'), ('counter_notice_check', 'Counter-notice completeness check')], max_length=24),
        ),
        migrations.CreateModel(
            name='CounterNoticeFiling',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('filed_at', models.DateTimeField()),
                ('refiling', models.BooleanField(help_text='Filed again after a reviewer returned it as incomplete.')),
                ('counter_notice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='filings', to='takedowns.counternotice')),
            ],
            options={
                'indexes': [models.Index(fields=['filed_at'], name='counter_notice_filing_filed')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
