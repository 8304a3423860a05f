"""Each reported listing's seller and its notice's filing time copied onto the item, with an index on
the two, so risk screening's burst rule counts a seller's notices in its window on one index range
instead of reading the seller's whole history (takedowns/risk.py, _burst). Items routed before this
get the copies here; routing writes them from now on (workflow/routing.py, save_resolution)."""

import django.db.models.deletion
from django.db import migrations, models

# Portable SQL (PostgreSQL and SQLite): correlated subqueries rather than UPDATE … FROM.
FILL = """
UPDATE takedowns_noticeitem
SET seller_id = (SELECT seller_id FROM takedowns_listing WHERE takedowns_listing.id = takedowns_noticeitem.listing_id),
    filed_at = (SELECT created_at FROM takedowns_notice WHERE takedowns_notice.id = takedowns_noticeitem.notice_id)
WHERE state <> 'new'
"""


class Migration(migrations.Migration):

    dependencies = [
        ('takedowns', '0016_rate_limits'),
    ]

    operations = [
        migrations.AddField(
            model_name='noticeitem',
            name='filed_at',
            field=models.DateTimeField(blank=True, help_text='When the notice was filed (its created_at).', null=True),
        ),
        migrations.AddField(
            model_name='noticeitem',
            name='seller',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='takedowns.seller'),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='noticeitem',
            index=models.Index(condition=models.Q(('seller__isnull', False)), fields=['seller', 'filed_at'], include=('notice',), name='item_seller_filed'),
        ),
    ]
