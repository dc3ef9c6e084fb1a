"""The starter synonym groups for this domain (kb/search_data/synonyms.json); editors curate them in the admin."""

import json
from pathlib import Path

from django.db import migrations

SOURCE = Path(__file__).resolve().parent.parent / "search_data" / "synonyms.json"


def load(apps, schema_editor):
    SynonymGroup = apps.get_model("kb", "SynonymGroup")
    for group in json.loads(SOURCE.read_text(encoding="utf-8")):
        language = "" if group["language"] == "*" else group["language"]
        SynonymGroup.objects.get_or_create(language=language, terms=", ".join(group["terms"]))


def unload(apps, schema_editor):
    apps.get_model("kb", "SynonymGroup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("kb", "0004_search_index")]
    operations = [migrations.RunPython(load, unload)]
