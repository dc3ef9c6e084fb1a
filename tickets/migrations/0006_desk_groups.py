"""Create the desk's staff groups: "Agent" (works the tickets of the queues they are a member of) and
"Supervisor" (all queues, and the queue and problem-type configuration)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENT = [
    "view_ticket", "view_message", "view_ticketevent",
    "view_queue", "view_problemtype", "view_problemfield",
]  # fmt: skip
SUPERVISOR = AGENT + [
    "add_queue", "change_queue",
    "add_problemtype", "change_problemtype",
    "add_problemfield", "change_problemfield", "delete_problemfield",
]  # fmt: skip
GROUPS = {"Agent": AGENT, "Supervisor": SUPERVISOR}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="tickets", codename__in=codenames))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_desk_groundwork"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
