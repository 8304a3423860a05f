# The dashboard's risk bands counted from a partial index alone (bench/dashboard at 1M: 208 ms of the 6-month page).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0025_appeal_and_grounds_fixes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='notice',
            name='notice_risk_confirmed',
        ),
        migrations.AddIndex(
            model_name='notice',
            index=models.Index(condition=models.Q(('routed_at__isnull', False)), fields=['confirmed_at', 'risk_band'], name='notice_risk_screened'),
        ),
    ]
