# The language a seller reads (mirrored by the marketplace adapter) and the language each e-mail is written in
# (its Content-Language header), issue 13. The lead relinks this after 0027 at merge.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0027_language_codes'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboundemail',
            name='language',
            field=models.CharField(db_default='en', default='en', max_length=8),
        ),
        migrations.AddField(
            model_name='seller',
            name='language',
            field=models.CharField(choices=[('en', 'English'), ('de', 'Deutsch'), ('fr', 'Français'), ('es', 'Español'), ('it', 'Italiano'), ('zh-hans', '中文')], db_default='en', default='en', max_length=8),
        ),
    ]
