"""Number the change log in commit order on PostgreSQL, and record what exists already.

See orgportal/changes/models.py: a deferred constraint trigger gives every Change row its
``seq`` at COMMIT, under an advisory lock held until the commit is visible, so sequence numbers
become visible in commit order. SQLite numbers rows at insert (one writer at a time).

An organisation that exists before history gets one "created" record per row, so that a feed
replayed from the start rebuilds it.
"""

from django.db import migrations

FEED_LOCK_KEY = 0x6F72_6766

CREATE = f"""
CREATE SEQUENCE orgportal_change_commit_seq;
CREATE FUNCTION orgportal_change_number() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({FEED_LOCK_KEY});
    UPDATE orgportal_change SET seq = nextval('orgportal_change_commit_seq')
    WHERE id = NEW.id AND seq IS NULL;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER orgportal_change_number_at_commit
    AFTER INSERT ON orgportal_change
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION orgportal_change_number();
"""

DROP = """
DROP TRIGGER IF EXISTS orgportal_change_number_at_commit ON orgportal_change;
DROP FUNCTION IF EXISTS orgportal_change_number();
DROP SEQUENCE IF EXISTS orgportal_change_commit_seq;
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def record_existing(apps, schema_editor):
    from django.utils import timezone

    using = schema_editor.connection.alias
    now = timezone.now()
    Change = apps.get_model("orgportal", "Change")
    changes = []
    departments_of_roles = {}
    specs = [
        ("departments", "Department", ("tree_id", "lft")),
        ("roles", "Role", ("pk",)),
        ("roles", "Duty", ("pk",)),
    ]
    for app_label, name, order in specs:
        model = apps.get_model(app_label, name)
        historical = apps.get_model("orgportal", f"Historical{name}")
        fields = [f.attname for f in historical._meta.concrete_fields if not f.name.startswith("history_")]
        fields = [f for f in fields if f not in ("sibling_position",)]
        seen = {}
        records = []
        for row in model._base_manager.using(using).order_by(*order).values():
            values = {f: row[f] for f in fields if f in row}
            if name == "Department":
                siblings = seen.setdefault(row["parent_id"], [])
                values["sibling_position"] = len(siblings)
                siblings.append(row["id"])
            records.append(
                historical(
                    **values,
                    history_date=now,
                    history_type="+",
                    history_source="migration",
                    history_change_reason="",
                )
            )
        records = historical._base_manager.using(using).bulk_create(records)
        for record in records:
            if name == "Department":
                place = (record.id, None)
            elif name == "Role":
                place = (record.department_id, record.id)
                departments_of_roles[record.id] = record.department_id
            else:
                place = (departments_of_roles.get(record.role_id), record.role_id)
            changes.append(
                Change(
                    model=f"{app_label}.{name.lower()}",
                    history_id=record.history_id,
                    object_id=record.id,
                    history_date=now,
                    kinds="duties" if name == "Duty" else "added",
                    department_id=place[0],
                    role_id=place[1],
                )
            )
    if schema_editor.connection.vendor != "postgresql":
        for seq, change in enumerate(changes, start=1):
            change.seq = seq
    Change._base_manager.using(using).bulk_create(changes)


class Migration(migrations.Migration):
    dependencies = [("orgportal", "0003_history")]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
        migrations.RunPython(record_existing, migrations.RunPython.noop),
    ]
