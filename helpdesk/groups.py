"""Staff groups and their permissions, for the data migrations that create them."""

from django.contrib.auth.management import create_permissions


def grant(apps, app_label, groups):
    """Create each group of `groups` ({name: [codename, …]}) if missing and give it those permissions of `app_label`.

    Permissions are created first: in a fresh database they would otherwise only appear after the last migration.
    """
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in groups.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
