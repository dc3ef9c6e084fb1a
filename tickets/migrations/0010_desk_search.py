"""Indexes for the desk's search box (TicketQuerySet.matching): email in any case, UID, TxID, and on PostgreSQL a
trigram index on the subject so words of it are found without reading every ticket."""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

# The form Django's icontains takes on PostgreSQL (UPPER(subject) LIKE UPPER('%…%')), so the planner can use it.
SUBJECT_TRIGRAMS = "CREATE INDEX IF NOT EXISTS tickets_subject_trgm ON tickets_ticket USING gin (UPPER(subject) gin_trgm_ops)"
DROP_SUBJECT_TRIGRAMS = "DROP INDEX IF EXISTS tickets_subject_trgm"


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0009_sla_recompute'),
        ('kb', '0004_search_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(django.db.models.functions.text.Upper('customer_email'), name='tickets_email_upper'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['customer_uid'], name='tickets_uid'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(models.F('fields__txid'), name='tickets_txid'),
        ),
        migrations.RunPython(run(SUBJECT_TRIGRAMS), run(DROP_SUBJECT_TRIGRAMS)),
    ]
