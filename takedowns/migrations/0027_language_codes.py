# Chinese is "zh-hans" (Django's code for Simplified Chinese, whose catalogues and LANGUAGES use it), no
# longer "zh": the notices' language and the reviewers' lists of languages are rewritten, both ways.

from django.db import migrations, models

RENAMES = {"zh": "zh-hans"}


def _rewrite(apps, renames: dict[str, str]) -> None:
    Notice = apps.get_model("takedowns", "Notice")
    Reviewer = apps.get_model("takedowns", "Reviewer")
    for old, new in renames.items():
        Notice.objects.filter(language=old).update(language=new)
    for reviewer in Reviewer.objects.filter(languages__contains="zh").only("languages"):  # "zh" in both codes
        codes = [code.strip() for code in reviewer.languages.split(",") if code.strip()]
        rewritten = ",".join(renames.get(code, code) for code in codes)
        if rewritten != reviewer.languages:
            Reviewer.objects.filter(pk=reviewer.pk).update(languages=rewritten)


def forwards(apps, schema_editor) -> None:
    _rewrite(apps, RENAMES)


def backwards(apps, schema_editor) -> None:
    _rewrite(apps, {new: old for old, new in RENAMES.items()})


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0026_risk_band_counts_from_the_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notice',
            name='language',
            field=models.CharField(choices=[('en', 'English'), ('de', 'Deutsch'), ('fr', 'Français'), ('es', 'Español'), ('it', 'Italiano'), ('zh-hans', '中文')], default='en', max_length=8),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
