"""Data: the default submitter text of "insufficient-evidence" (migration 0021) promised that "the same
reviewer decides the listing again"; a fix goes to that reviewer only when they can still take it
(workflow/resubmissions.py: otherwise the notice's reviewer or the queue). The text now says what is
true. A text a lead already rewrote is theirs and is left alone (as 0021 did)."""

from django.db import migrations
from django.utils.translation import gettext_noop as shipped

OLD_TEXT = (
    "We could not see from the notice and its files that the listing infringes. Use “Fix and resubmit” on "
    "your tracking page to add evidence such as a test-buy report, photos comparing the genuine and the "
    "listed item, or the registration certificate; the same reviewer decides the listing again.")
# The text a reader sees translated (ReasonCode.text_shown; see 0002).
NEW_TEXT = shipped(
    "We could not see from the notice and its files that the listing infringes. Use “Fix and resubmit” on "
    "your tracking page to add evidence such as a test-buy report, photos comparing the genuine and the "
    "listed item, or the registration certificate; a reviewer decides it again.")


def reword(apps, schema_editor):
    ReasonCode = apps.get_model("takedowns", "ReasonCode")
    ReasonCode.objects.filter(code="insufficient-evidence", submitter_text=OLD_TEXT).update(submitter_text=NEW_TEXT)


def unreword(apps, schema_editor):
    ReasonCode = apps.get_model("takedowns", "ReasonCode")
    ReasonCode.objects.filter(code="insufficient-evidence", submitter_text=NEW_TEXT).update(submitter_text=OLD_TEXT)


class Migration(migrations.Migration):

    dependencies = [
        ("takedowns", "0024_report_publications"),
    ]

    operations = [
        migrations.RunPython(reword, unreword),
    ]
