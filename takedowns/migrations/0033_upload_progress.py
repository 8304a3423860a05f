"""Issue 15 (csv): CsvUpload.progress_at, the last sign of life of an upload's checking or filing task."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("takedowns", "0032_professional_notifiers"),
    ]

    operations = [
        migrations.AddField(
            model_name="csvupload",
            name="progress_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
