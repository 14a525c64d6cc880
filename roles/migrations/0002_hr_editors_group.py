"""Create the HR editors group with add, change and view rights on the organisation models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "HR editors"
MODELS = [("departments", "department"), ("roles", "role"), ("roles", "duty")]
ACTIONS = ("add", "change", "view")


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    codenames = [f"{action}_{model}" for _, model in MODELS for action in ACTIONS]
    permissions = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in MODELS}, codename__in=codenames
    )
    group.permissions.add(*permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("departments", "0001_initial"),
        ("roles", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
