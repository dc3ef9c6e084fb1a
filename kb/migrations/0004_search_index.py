from django.db import migrations

from kb.search import schema


def create(apps, schema_editor):
    schema.create(schema_editor)


def drop(apps, schema_editor):
    schema.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("kb", "0003_search")]
    operations = [migrations.RunPython(create, drop)]
