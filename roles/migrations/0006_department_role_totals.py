"""Each department's own active roles added up in a row of its own, kept by triggers.

The triggers run on every write to the roles' table, whatever makes it (saves, bulk writes,
COPY, imports, restores, raw SQL), so the totals cannot drift from the roles. PostgreSQL
adds up each statement's rows once (statement triggers with transition tables: a bulk write
of 50,000 roles updates each department's row once); SQLite, which has row triggers only,
adds each row. A row exists while its department has active roles.

Concurrent transactions that change the active roles of the same department wait for each
other on its totals row until the first commits (inserts and updates reach the departments'
rows in key order; a delete's order is the planner's, so two bulk deletes over the same
departments in opposite orders could deadlock, which PostgreSQL ends by failing one); writes
to different departments, and updates that change no total (a new title, say), do not wait.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "roles_department_totals"

POSTGRESQL = f"""
CREATE FUNCTION roles_department_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {TABLE} AS t (department_id, roles, seats, seats_unknown)
        SELECT department_id, COUNT(*), COALESCE(SUM(headcount), 0),
               COUNT(*) FILTER (WHERE headcount IS NULL)
        FROM new_rows WHERE is_active GROUP BY department_id ORDER BY department_id
        ON CONFLICT (department_id) DO UPDATE SET
            roles = t.roles + EXCLUDED.roles,
            seats = t.seats + EXCLUDED.seats,
            seats_unknown = t.seats_unknown + EXCLUDED.seats_unknown;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE {TABLE} t SET
            roles = t.roles - o.roles,
            seats = t.seats - o.seats,
            seats_unknown = t.seats_unknown - o.seats_unknown
        FROM (
            SELECT department_id, COUNT(*) AS roles, COALESCE(SUM(headcount), 0) AS seats,
                   COUNT(*) FILTER (WHERE headcount IS NULL) AS seats_unknown
            FROM old_rows WHERE is_active GROUP BY department_id
        ) o
        WHERE t.department_id = o.department_id;
        DELETE FROM {TABLE}
        WHERE roles = 0 AND department_id IN (SELECT department_id FROM old_rows);
    ELSE
        INSERT INTO {TABLE} AS t (department_id, roles, seats, seats_unknown)
        SELECT department_id, SUM(roles), SUM(seats), SUM(seats_unknown) FROM (
            SELECT department_id, 1 AS roles, COALESCE(headcount, 0) AS seats,
                   CASE WHEN headcount IS NULL THEN 1 ELSE 0 END AS seats_unknown
            FROM new_rows WHERE is_active
            UNION ALL
            SELECT department_id, -1, -COALESCE(headcount, 0),
                   CASE WHEN headcount IS NULL THEN -1 ELSE 0 END
            FROM old_rows WHERE is_active
        ) delta
        GROUP BY department_id
        HAVING SUM(roles) <> 0 OR SUM(seats) <> 0 OR SUM(seats_unknown) <> 0
        ORDER BY department_id
        ON CONFLICT (department_id) DO UPDATE SET
            roles = t.roles + EXCLUDED.roles,
            seats = t.seats + EXCLUDED.seats,
            seats_unknown = t.seats_unknown + EXCLUDED.seats_unknown;
        DELETE FROM {TABLE}
        WHERE roles = 0 AND department_id IN (SELECT department_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION roles_department_totals_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {TABLE};
    RETURN NULL;
END
$$;

CREATE TRIGGER roles_department_totals_insert AFTER INSERT ON roles_role
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION roles_department_totals_apply();
CREATE TRIGGER roles_department_totals_update AFTER UPDATE ON roles_role
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION roles_department_totals_apply();
CREATE TRIGGER roles_department_totals_delete AFTER DELETE ON roles_role
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION roles_department_totals_apply();
CREATE TRIGGER roles_department_totals_truncate AFTER TRUNCATE ON roles_role
    FOR EACH STATEMENT EXECUTE FUNCTION roles_department_totals_clear();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS roles_department_totals_insert ON roles_role;
DROP TRIGGER IF EXISTS roles_department_totals_update ON roles_role;
DROP TRIGGER IF EXISTS roles_department_totals_delete ON roles_role;
DROP TRIGGER IF EXISTS roles_department_totals_truncate ON roles_role;
DROP FUNCTION IF EXISTS roles_department_totals_apply();
DROP FUNCTION IF EXISTS roles_department_totals_clear();
"""

# SQLite: row triggers. ``WHERE NEW.is_active`` before ON CONFLICT also keeps SQLite's parser
# from reading the ON as a join's.
_ADD = f"""
    INSERT INTO {TABLE} (department_id, roles, seats, seats_unknown)
    SELECT NEW.department_id, 1, COALESCE(NEW.headcount, 0), NEW.headcount IS NULL
    WHERE NEW.is_active
    ON CONFLICT (department_id) DO UPDATE SET
        roles = roles + excluded.roles,
        seats = seats + excluded.seats,
        seats_unknown = seats_unknown + excluded.seats_unknown;
"""
_SUBTRACT = f"""
    UPDATE {TABLE} SET
        roles = roles - 1,
        seats = seats - COALESCE(OLD.headcount, 0),
        seats_unknown = seats_unknown - (OLD.headcount IS NULL)
    WHERE department_id = OLD.department_id AND OLD.is_active;
    DELETE FROM {TABLE} WHERE department_id = OLD.department_id AND roles = 0;
"""
SQLITE = [
    f"CREATE TRIGGER roles_department_totals_insert AFTER INSERT ON roles_role "
    f"BEGIN {_ADD} END",
    # The old row's totals leave before the new row's come in: a role that moves to another
    # department, is archived or restored, or changes its headcount.
    f"CREATE TRIGGER roles_department_totals_update "
    f"AFTER UPDATE OF is_active, headcount, department_id ON roles_role "
    f"BEGIN {_SUBTRACT} {_ADD} END",
    f"CREATE TRIGGER roles_department_totals_delete AFTER DELETE ON roles_role "
    f"BEGIN {_SUBTRACT} END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS roles_department_totals_insert",
    "DROP TRIGGER IF EXISTS roles_department_totals_update",
    "DROP TRIGGER IF EXISTS roles_department_totals_delete",
]

FILL = f"""
INSERT INTO {TABLE} (department_id, roles, seats, seats_unknown)
SELECT department_id, COUNT(*), COALESCE(SUM(headcount), 0),
       SUM(CASE WHEN headcount IS NULL THEN 1 ELSE 0 END)
FROM roles_role WHERE is_active GROUP BY department_id
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No role totals triggers for {vendor}.")
    schema_editor.execute(FILL)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0005_translated_texts"),
        ("roles", "0005_translated_texts"),
    ]

    operations = [
        migrations.CreateModel(
            name="DepartmentRoleTotals",
            fields=[
                (
                    "department",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="role_totals",
                        serialize=False,
                        to="departments.department",
                    ),
                ),
                ("roles", models.IntegerField()),
                ("seats", models.BigIntegerField()),
                ("seats_unknown", models.IntegerField()),
            ],
            options={"db_table": "roles_department_totals", "default_permissions": ()},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
