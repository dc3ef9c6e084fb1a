"""Create the "KB editor" (draft and edit) and "KB publisher" (also publish, archive, delete) groups."""

from django.db import migrations

from helpdesk import groups

EDITOR = [
    "view_category", "view_section",
    "add_tag", "change_tag", "view_tag",
    "add_article", "change_article", "view_article",
    "view_articlerevision", "view_articlefeedback",
    "add_announcement", "change_announcement", "view_announcement",
]  # fmt: skip
PUBLISHER = EDITOR + [
    "publish_article", "delete_article",
    "add_category", "change_category", "delete_category",
    "add_section", "change_section", "delete_section",
    "delete_tag", "delete_announcement", "delete_articlefeedback",
]  # fmt: skip
GROUPS = {"KB editor": EDITOR, "KB publisher": PUBLISHER}


def create_groups(apps, schema_editor):
    groups.grant(apps, "kb", GROUPS)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
