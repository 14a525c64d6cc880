"""Let the HR editors group view and change the organisation profile."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "HR editors"
CODENAMES = ("change_organisationprofile", "view_organisationprofile")


def grant_profile(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("guide")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="guide", codename__in=CODENAMES)
    )


def revoke_profile(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="guide", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("guide", "0001_initial"),
        ("roles", "0002_hr_editors_group"),
    ]

    operations = [migrations.RunPython(grant_profile, revoke_profile)]
