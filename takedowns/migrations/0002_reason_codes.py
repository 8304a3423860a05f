"""The rejection reason codes every portal starts with; leads edit them in the admin."""

from django.db import migrations
from django.utils.translation import gettext_noop as shipped

# shipped(): the texts as a reader sees them are translated (ReasonCode.title_shown); gettext_noop only marks
# them for the catalogues and returns them unchanged, so what the migration writes is the English text.
# The texts reworded by later migrations are marked there instead (0021, 0025).

REASON_CODES = [
    ("registration-mismatch", shipped("The registration does not match the listing"),
     shipped("The registration number or office you gave does not cover the brand, work, design or invention shown in "
     "the listing. Check the number and office, or file with the right that matches the listing.")),
    ("insufficient-evidence", shipped("Not enough evidence"),
     "We could not see from the notice and its files that the listing infringes. Add evidence such as a "
     "test-buy report, photos comparing the genuine and the listed item, or the registration certificate."),
    ("authorisation-missing", shipped("Authorisation not shown"),
     "You filed as an agent, but the authorisation letter does not show that the rights owner named in the "
     "notice authorised you for this right. Attach a signed letter from the owner naming the right."),
    ("genuine-goods", shipped("Genuine goods resold lawfully"),
     shipped("The listing appears to offer genuine goods put on the market in the EEA with the owner's consent, which "
     "may be resold (exhaustion of rights). If you have evidence that the goods are not genuine, file again with it.")),
    ("no-use-of-right", shipped("The listing does not use the right"),
     "The listing does not show or name the protected mark, work, design or invention. Point us to where the "
     "listing uses it (title, images, description) in a new notice."),
]


def add_reason_codes(apps, schema_editor):
    ReasonCode = apps.get_model("takedowns", "ReasonCode")
    for code, title, text in REASON_CODES:
        ReasonCode.objects.update_or_create(code=code, defaults={"title": title, "submitter_text": text})


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0001_initial")]
    operations = [migrations.RunPython(add_reason_codes, migrations.RunPython.noop)]
