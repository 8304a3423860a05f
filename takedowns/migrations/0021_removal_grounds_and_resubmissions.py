"""Issue 12, items 12 and 16: the grounds a reviewer records for each removal (DSA Art. 17(3)(d)), from
default texts per right type and reason that leads edit (RemovalGround); which rejection reasons the
submitter can fix on the same case (ReasonCode.fixable) and the resubmissions that fix them, with
their files; a rejection set aside by a resubmission (Decision.superseded_at) leaves the one-in-force
constraint free for the fresh decision."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.translation import gettext_noop as shipped

# Our reasons for a removal, per right type and reported reason (the combinations enums.REASONS_FOR_RIGHT
# allows). Written as the marketplace's finding, with the provision it rests on; no names, since the
# Transparency Database publishes them. The reviewer edits them for each listing.
CHECKED = "We checked the notice and its evidence against the listing and found this established."
REMOVAL_GROUNDS = [
    ("trademark", "counterfeit",
     "The listing offers goods bearing a sign identical with the registered trademark, for goods identical "
     "with those for which the mark is registered, without the trademark owner's consent (Art. 9(2)(a) "
     "Regulation (EU) 2017/1001 (EUTMR); for a national mark, the provision implementing Art. 10(2)(a) "
     "Directive (EU) 2015/2436). The goods are not shown to have been put on the market in the EEA by the "
     "owner or with its consent, so the owner's rights are not exhausted (Art. 15 EUTMR). " + CHECKED),
    ("trademark", "trademark_misuse",
     "The listing uses a sign identical with or similar to the registered trademark in the course of trade, "
     "in its title, images or description, for goods identical with or similar to those for which the mark "
     "is registered, without the trademark owner's consent and in a way liable to cause confusion as to the "
     "origin of the goods (Art. 9(2)(a) and (b) Regulation (EU) 2017/1001 (EUTMR); Art. 10(2)(a) and (b) "
     "Directive (EU) 2015/2436). It is not a use needed to indicate the intended purpose of the goods or to "
     "refer to genuine goods of the owner (Art. 14(1)(c) EUTMR). " + CHECKED),
    ("copyright", "copyright_images",
     "The listing reproduces photographs protected by copyright and makes them available to the public "
     "without the rightholder's authorisation (Arts. 2(a) and 3(1) Directive 2001/29/EC and the national "
     "copyright law that implements them). No exception of Art. 5 of that Directive covers their use to "
     "advertise goods for sale. " + CHECKED),
    ("copyright", "copyright_text",
     "The listing reproduces text protected by copyright and makes it available to the public without the "
     "rightholder's authorisation (Arts. 2(a) and 3(1) Directive 2001/29/EC and the national copyright law "
     "that implements them). No exception of Art. 5 of that Directive covers its use to advertise goods for "
     "sale. " + CHECKED),
    ("design", "design",
     "The listing offers a product in which the registered design is incorporated, or a design that does not "
     "produce a different overall impression on the informed user, without the design holder's consent "
     "(Arts. 10 and 19(1) Regulation (EC) No 6/2002 for a Community design; the national design law for a "
     "national registration). Offering and putting such a product on the market is reserved to the holder. "
     + CHECKED),
    ("design", "counterfeit",
     "The listing offers copies of a product protected by the registered design, made without the design "
     "holder's consent: the product incorporates the design and produces the same overall impression on the "
     "informed user (Arts. 10 and 19(1) Regulation (EC) No 6/2002; the national design law for a national "
     "registration). " + CHECKED),
    ("patent", "patent",
     "The listing offers a product that falls within the scope of the claims of the patent, in a country "
     "where the patent is in force, without the patent holder's consent. Offering such a product is an act "
     "the patent holder may prohibit under the patent law of that country (for a European patent with "
     "unitary effect, Art. 25 of the Agreement on a Unified Patent Court). " + CHECKED),
]

# The rejections a submitter can fix on the same case (resubmission_rules.py): what is missing is evidence
# or an authorisation, or where the listing uses the right. The others are findings (genuine goods) or a
# right that does not fit the listing: a new notice, or an appeal.
FIXABLE = {
    "insufficient-evidence":
        ("We could not see from the notice and its files that the listing infringes. Add evidence such as a "
         "test-buy report, photos comparing the genuine and the listed item, or the registration certificate.",
         "We could not see from the notice and its files that the listing infringes. Use “Fix and resubmit” on "
         "your tracking page to add evidence such as a test-buy report, photos comparing the genuine and the "
         "listed item, or the registration certificate; the same reviewer decides the listing again."),
    "authorisation-missing":
        ("You filed as an agent, but the authorisation letter does not show that the rights owner named in the "
         "notice authorised you for this right. Attach a signed letter from the owner naming the right.",
         # The text a reader sees translated (ReasonCode.text_shown; see 0002).
         shipped("You filed as an agent, but the authorisation letter does not show that the rights owner named in "
                 "the notice authorised you for this right. Use “Fix and resubmit” on your tracking page to attach "
                 "a signed letter from the owner naming the right.")),
    "no-use-of-right":
        ("The listing does not show or name the protected mark, work, design or invention. Point us to where the "
         "listing uses it (title, images, description) in a new notice.",
         shipped("The listing does not show or name the protected mark, work, design or invention. Use “Fix and "
                 "resubmit” on your tracking page to point us to where the listing uses it (title, images, "
                 "description).")),
}


def add_grounds_and_fixable_codes(apps, schema_editor):
    RemovalGround = apps.get_model("takedowns", "RemovalGround")
    for right_type, reason, text in REMOVAL_GROUNDS:
        RemovalGround.objects.get_or_create(right_type=right_type, reason=reason, defaults={"text": text})
    ReasonCode = apps.get_model("takedowns", "ReasonCode")
    for code, (old_text, new_text) in FIXABLE.items():
        ReasonCode.objects.filter(code=code).update(fixable=True)
        # A text a lead already rewrote is theirs; only the default one learns about the new button.
        ReasonCode.objects.filter(code=code, submitter_text=old_text).update(submitter_text=new_text)


def remove_grounds(apps, schema_editor):
    ReasonCode = apps.get_model("takedowns", "ReasonCode")
    for code, (old_text, new_text) in FIXABLE.items():
        ReasonCode.objects.filter(code=code, submitter_text=new_text).update(submitter_text=old_text)


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0020_automated_penalties_and_routing_closure'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RemovalGround',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('right_type', models.CharField(choices=[('trademark', 'Trademark'), ('copyright', 'Copyright'), ('design', 'Design'), ('patent', 'Patent')], max_length=16)),
                ('reason', models.CharField(blank=True, choices=[('counterfeit', 'Counterfeit goods'), ('trademark_misuse', 'Trademark misuse (logo or brand name used without permission)'), ('copyright_images', 'Copyright: images copied'), ('copyright_text', 'Copyright: text copied'), ('design', 'Design infringement'), ('patent', 'Patent infringement')], max_length=24)),
                ('text', models.TextField(help_text="Our reasons, as the seller's statement of reasons gives them (DSA Art. 17(3)(d)) and the Transparency Database publishes them: no names.")),
                ('is_active', models.BooleanField(default=True)),
            ],
            options={
                'ordering': ['right_type', 'reason'],
            },
        ),
        migrations.CreateModel(
            name='Resubmission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField()),
                ('filed_at', models.DateTimeField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name='decision',
            name='one_decision_in_force_per_item',
        ),
        migrations.AddField(
            model_name='decision',
            name='grounds',
            field=models.TextField(blank=True, db_default='', help_text='Why the marketplace finds the listing infringing (removals), as the reviewer recorded it.'),
        ),
        migrations.AddField(
            model_name='decision',
            name='superseded_at',
            field=models.DateTimeField(blank=True, help_text="When the submitter's fix and resubmission set this rejection aside for a fresh decision.", null=True),
        ),
        migrations.AddField(
            model_name='reasoncode',
            name='fixable',
            field=models.BooleanField(default=False, db_default=False, help_text='The submitter can fix this on the same case: the tracking page offers “fix and resubmit” (text and files) instead of only an appeal.'),
        ),
        migrations.AlterField(
            model_name='decision',
            name='explanation',
            field=models.TextField(blank=True, help_text="What the notice claimed: the notifier's description, quoted in the statement as theirs (removals)."),
        ),
        migrations.AlterField(
            model_name='event',
            name='kind',
            field=models.CharField(choices=[('filed', 'Notice filed'), ('confirmed', 'E-mail address confirmed'), ('item_resolved', 'Listing looked up at the marketplace'), ('routed', 'Assigned to a reviewer'), ('routing_deferred', 'No reviewer available yet'), ('withdrawn', 'Withdrawn'), ('expired', 'Expired without confirmation'), ('refused', "Refused: the notifier's notices are suspended"), ('claimed', 'Claimed by a reviewer'), ('released', 'Handed back to the queue'), ('reassigned', 'Reassigned by a lead'), ('escalated', 'Escalated to a lead'), ('item_decided', 'Listing decided'), ('listing_removed', 'Listing taken down at the marketplace'), ('closed', 'Every listing decided'), ('nothing_to_decide', 'Closed: no reported listing could be reviewed'), ('info_requested', 'Information requested from the submitter'), ('awaiting_submitter', 'Waiting for the submitter'), ('info_answered', 'The submitter answered'), ('back_in_review', 'Back with the reviewer'), ('info_expired', 'No answer in time'), ('reopened', 'Reopened after an appeal'), ('clock_started', 'SLA clock started'), ('clock_paused', 'SLA clock paused'), ('clock_resumed', 'SLA clock resumed'), ('clock_stopped', 'SLA clock stopped'), ('clock_warned', 'SLA clock about to breach'), ('clock_breached', 'SLA target breached'), ('strike_recorded', 'Strike recorded against the seller'), ('strike_expired', 'Strike expired'), ('strike_reversed', 'Strike removed'), ('penalty_decided', 'Seller penalty decided'), ('penalty_applied', 'Seller penalty applied at the marketplace'), ('penalty_lifted', 'Seller penalty lifted'), ('penalty_not_decided', 'No new penalty: the account is already terminated'), ('counter_notice_filed', 'Counter-notice filed by the seller'), ('counter_notice_incomplete', 'Counter-notice returned as incomplete'), ('counter_notice_accepted', 'Counter-notice complete: restore window started'), ('lawsuit_reported', 'Rights holder reported a lawsuit'), ('listing_restored', 'Listing restored at the marketplace'), ('appeal_filed', 'Appeal filed'), ('appeal_decided', 'Appeal decided'), ('resubmitted', 'Listing fixed and resubmitted by the submitter')], max_length=32),
        ),
        migrations.AddConstraint(
            model_name='decision',
            constraint=models.UniqueConstraint(condition=models.Q(('reversed_at__isnull', True), ('superseded_at__isnull', True)), fields=('item',), name='one_decision_in_force_per_item'),
        ),
        migrations.AddConstraint(
            model_name='removalground',
            constraint=models.UniqueConstraint(fields=('right_type', 'reason'), name='one_ground_per_right_reason'),
        ),
        migrations.AddField(
            model_name='resubmission',
            name='decision',
            field=models.OneToOneField(help_text='The rejection the fix answers.', on_delete=django.db.models.deletion.PROTECT, related_name='resubmission', to='takedowns.decision'),
        ),
        migrations.AddField(
            model_name='resubmission',
            name='item',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='resubmission', to='takedowns.noticeitem'),
        ),
        migrations.AddField(
            model_name='resubmission',
            name='notice',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='resubmissions', to='takedowns.notice'),
        ),
        migrations.AddField(
            model_name='resubmission',
            name='reviewer',
            field=models.ForeignKey(blank=True, help_text='Who it went back to; none: it waits in the queue.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='takedowns.reviewer'),
        ),
        migrations.AddField(
            model_name='evidence',
            name='resubmission',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='files', to='takedowns.resubmission'),
        ),
        migrations.RunPython(add_grounds_and_fixable_codes, remove_grounds),
    ]
