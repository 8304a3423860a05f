"""Risk screening of notices (takedowns/risk.py): the rules as data with their default tuning, the
score, band and reasons on the notice, the reviewers designated for high-risk notices, what the
seller mirror needs to link a notifier to a seller (registered address, payout fingerprint), and
the indexes screening reads through (e-mail domains as expressions). The new columns have database
defaults: a release still running while this one migrates (and the bench's SQL loads) writes rows without them."""

from datetime import timedelta

import django.db.models.expressions
import django.db.models.functions.text
from django.db import migrations, models

# code, points, threshold, window. Bands start at RISK_MEDIUM_SCORE (30) and RISK_HIGH_SCORE (60): a
# competing seller alone makes a notice high risk; a mismatched owner, a seller's own address or a burst medium.
DEFAULT_RULES = [
    ("free_mail_company", 25, None, None),
    ("new_domain_company", 15, None, timedelta(days=30)),
    ("owner_mismatch", 35, None, None),
    ("notifier_is_seller", 35, None, None),
    ("competing_seller", 60, None, None),
    ("seller_burst", 30, 5, timedelta(days=1)),
    ("first_notice_many_listings", 25, 10, None),
    ("registration_unknown", 10, None, None),
    ("registration_reused", 40, 2, timedelta(days=180)),
]


def create_default_rules(apps, schema_editor):
    RiskRule = apps.get_model("takedowns", "RiskRule")
    for code, points, threshold, window in DEFAULT_RULES:
        RiskRule.objects.get_or_create(code=code, defaults={"points": points, "threshold": threshold, "window": window})


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0014_notifier_misuse'),
    ]

    operations = [
        migrations.CreateModel(
            name='RiskRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(choices=[('free_mail_company', 'Free-mail address, organisation claimed'), ('new_domain_company', 'Newly seen e-mail domain, organisation claimed'), ('owner_mismatch', "Rights owner named is not the verified right's owner"), ('notifier_is_seller', "Notifier's address is a seller's"), ('competing_seller', 'Notifier linked to a competing seller in the same category'), ('seller_burst', 'Burst of notices against one seller'), ('first_notice_many_listings', 'First notice, many listings of one seller'), ('registration_unknown', 'Registration not in the verified register'), ('registration_reused', 'Registration named by other owners')], max_length=40, unique=True)),
                ('enabled', models.BooleanField(default=True)),
                ('points', models.PositiveSmallIntegerField(help_text='Added to the risk score when the rule fires.')),
                ('threshold', models.PositiveIntegerField(blank=True, help_text="A count the rule fires at (see the rule's description).", null=True)),
                ('window', models.DurationField(blank=True, help_text='How far back the rule looks, e.g. 1 00:00:00.', null=True)),
            ],
            options={
                'ordering': ['code'],
            },
        ),
        # The queue's counts (one index-only scan over open notices on PostgreSQL) count by risk band too.
        migrations.RemoveIndex(
            model_name='notice',
            name='notice_open_counts',
        ),
        migrations.AddField(
            model_name='notice',
            name='risk_band',
            field=models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], db_default='low', default='low', max_length=8),
        ),
        migrations.AddField(
            model_name='notice',
            name='risk_reasons',
            field=models.JSONField(blank=True, db_default=models.Value([], models.JSONField()), default=list),
        ),
        migrations.AddField(
            model_name='notice',
            name='risk_score',
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='reviewer',
            name='risk_reviewer',
            field=models.BooleanField(db_default=False, default=False, help_text='High-risk notices (possible competitor abuse) are assigned only to designated reviewers.', verbose_name='designated for high-risk notices'),
        ),
        migrations.AddField(
            model_name='seller',
            name='address',
            field=models.CharField(blank=True, db_default='', help_text='Registered business address.', max_length=300),
        ),
        migrations.AddField(
            model_name='seller',
            name='payment_identity',
            field=models.CharField(blank=True, db_default='', help_text="The marketplace's fingerprint of the payout account (e.g. a hash of the IBAN); never the account itself.", max_length=64),
        ),
        migrations.AddIndex(
            model_name='notice',
            index=models.Index(condition=models.Q(('status__in', ('confirmed', 'in_review', 'awaiting_submitter'))), fields=['status'], include=('assigned_to', 'escalated_at', 'right_type', 'trust', 'reason_mask', 'risk_band'), name='notice_open_counts'),
        ),
        migrations.AddIndex(
            model_name='notice',
            index=models.Index(django.db.models.functions.text.Lower(django.db.models.functions.text.Substr('submitter_email', django.db.models.expressions.CombinedExpression(django.db.models.functions.text.StrIndex('submitter_email', models.Value('@')), '+', models.Value(1)))), models.F('confirmed_at'), name='notice_domain_confirmed'),
        ),
        migrations.AddIndex(
            model_name='notice',
            index=models.Index(django.db.models.functions.text.Upper('right_registration_number'), django.db.models.functions.text.Upper('right_owner'), models.F('confirmed_at'), name='notice_registration'),
        ),
        migrations.AddIndex(
            model_name='notice',
            index=models.Index(fields=['risk_band', 'confirmed_at'], name='notice_risk_confirmed'),
        ),
        migrations.AddIndex(
            model_name='notice',
            index=models.Index(condition=models.Q(('risk_band', 'low'), _negated=True), fields=['status', 'risk_band', 'due_at', '-priority', 'id'], name='notice_risky_queue'),
        ),
        migrations.AddIndex(
            model_name='seller',
            index=models.Index(django.db.models.functions.text.Upper('email'), name='seller_email'),
        ),
        migrations.AddIndex(
            model_name='seller',
            index=models.Index(django.db.models.functions.text.Lower(django.db.models.functions.text.Substr('email', django.db.models.expressions.CombinedExpression(django.db.models.functions.text.StrIndex('email', models.Value('@')), '+', models.Value(1)))), name='seller_email_domain'),
        ),
        migrations.AddIndex(
            model_name='seller',
            index=models.Index(django.db.models.functions.text.Lower(django.db.models.functions.text.Trim('address')), condition=models.Q(('address', ''), _negated=True), name='seller_address'),
        ),
        migrations.AddIndex(
            model_name='seller',
            index=models.Index(condition=models.Q(('payment_identity', ''), _negated=True), fields=['payment_identity'], name='seller_payment_identity'),
        ),
        migrations.RunPython(create_default_rules, migrations.RunPython.noop),
    ]
