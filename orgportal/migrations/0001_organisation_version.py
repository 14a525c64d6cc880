"""The organisation version: its row, and on PostgreSQL the sequence that numbers it."""

import secrets

from django.db import migrations, models
from django.utils import timezone

SEQUENCE = "orgportal_organisation_version_seq"


def start_version(apps, schema_editor):
    # A random start, as orgportal.cache explains: a reset database never brings back a
    # number under which a shared cache still holds entries.
    start = secrets.randbelow(2**62)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {start}")
        # Called once, so that the next nextval() moves last_value on (the first one would not).
        schema_editor.execute(f"SELECT nextval('{SEQUENCE}')")
    version = apps.get_model("orgportal", "OrganisationVersion")
    version.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"version": start, "changed_at": timezone.now()}
    )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="OrganisationVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField(verbose_name="version")),
                ("changed_at", models.DateTimeField(verbose_name="changed at")),
            ],
            options={
                "verbose_name": "organisation version",
                "verbose_name_plural": "organisation versions",
                "ordering": ["pk"],
            },
        ),
        migrations.RunPython(start_version, drop_sequence),
    ]
