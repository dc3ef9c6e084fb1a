"""Editors curate synonyms and best bets and read the search log; publishers may also delete them."""

from django.db import migrations

from helpdesk import groups

EDITOR = [
    "add_synonymgroup", "change_synonymgroup", "view_synonymgroup",
    "add_bestbet", "change_bestbet", "view_bestbet",
    "view_searchlog",
]  # fmt: skip
PUBLISHER = EDITOR + ["delete_synonymgroup", "delete_bestbet"]


def grant(apps, schema_editor):
    groups.grant(apps, "kb", {"KB editor": EDITOR, "KB publisher": PUBLISHER})


class Migration(migrations.Migration):
    dependencies = [("kb", "0005_starter_synonyms")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
