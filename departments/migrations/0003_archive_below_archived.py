"""Archive every active department that stands below an archived one.

From this version on the write path refuses to keep anything active under an archived
department; this brings databases written before into line. Those departments were hidden
already (an archived department hides its whole subtree), so nobody sees a difference.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef


def archive_below_archived(apps, schema_editor):
    Department = apps.get_model("departments", "Department")
    archived_above = Department.objects.filter(
        is_active=False,
        tree_id=OuterRef("tree_id"),
        lft__lt=OuterRef("lft"),
        rght__gt=OuterRef("rght"),
    )
    Department.objects.filter(is_active=True).filter(Exists(archived_above)).update(
        is_active=False
    )


class Migration(migrations.Migration):
    dependencies = [("departments", "0002_reserved_codes")]

    operations = [migrations.RunPython(archive_below_archived, migrations.RunPython.noop)]
