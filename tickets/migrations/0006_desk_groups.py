"""Create the desk's staff groups: "Agent" (works the tickets of the queues they are a member of) and
"Supervisor" (all queues, and the queue and problem-type configuration)."""

from django.db import migrations

from helpdesk import groups

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
    groups.grant(apps, "tickets", GROUPS)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_desk_groundwork"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
