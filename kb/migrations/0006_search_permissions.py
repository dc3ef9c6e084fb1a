"""Editors curate synonyms and best bets and read the search log; publishers may also delete them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = [
    "add_synonymgroup", "change_synonymgroup", "view_synonymgroup",
    "add_bestbet", "change_bestbet", "view_bestbet",
    "view_searchlog",
]  # fmt: skip
PUBLISHER = EDITOR + ["delete_synonymgroup", "delete_bestbet"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in {"KB editor": EDITOR, "KB publisher": PUBLISHER}.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="kb", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("kb", "0005_starter_synonyms")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
