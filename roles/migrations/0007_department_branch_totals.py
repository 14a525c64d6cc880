"""Each department's whole-branch role totals kept beside its own, so that a page reads a
branch's totals by one key look-up instead of adding up a row per department below it.

Three more columns of roles_department_totals (not a table of their own: every role write
changes a department's own totals and its branch's in the same row, and a reader wants both
by the same key). The branch of department d, as departments.tree.load_tree() counts it:

    B(d) = own(d) + (Σ over the active children c of d of B(c) if d is active, else 0)

An archived department counts its own roles only, and nothing below it counts above it. A
row exists while its branch has active roles (``branch_roles`` > 0).

How they are kept, on every write to either table, whatever makes it (saves, bulk writes,
COPY, imports, restores, raw SQL):

- PostgreSQL, roles: the statement triggers of 0006, replaced. Each statement's own deltas
  (one per department, from its transition tables) go to the department and up its parent
  links while the chain is active (to parent p iff the department and p are active), walked
  with a recursive CTE and applied as one INSERT … ON CONFLICT in department-key order. Role
  statements change no department, so the walk reads a settled tree.
- PostgreSQL, departments: row triggers on a change of ``is_active`` or ``parent_id`` (WHEN
  filters out the rows that django-mptt's moves and inserts only renumber, at no cost) and on
  delete. AFTER row triggers fire once the statement is done, so they see its end state; each
  recounts, from its own row and from the children's kept rows, the changed department and
  the departments above it (and above its old parent), bottom-up, as far as an active chain
  carries (a recount stops above an archived department: nothing below it counts higher).
  Recounting rather than adding deltas is what makes several changed rows in one statement
  (an archive of a whole subtree) come out right in any firing order.
- SQLite (row triggers only, no CTE inside a trigger): role triggers add each row's delta to
  the nested-set ancestors whose chain down to the role's department is active (role writes
  never change the nested set, so it is settled). Department triggers move d's kept branch
  off its old parent's active chain and onto the new one, and recount d from its children's
  rows, using the nested set of the parents. That is settled for every single-row save
  (django-mptt renumbers in a statement of its own before the save writes ``parent_id``), for
  archive_descendants()'s update (``is_active`` only) and for deletes (the gap is closed
  first). The one statement that changes ``parent_id`` together with the nested set is
  departments.services.department_bulk_write()'s: after it, departments.tree
  .settle_branch_totals() recounts the whole table from the parent links (SQLite only).

Concurrency (PostgreSQL): every role write that changes a total now also updates the rows of
the departments above it, the root's included, so concurrent role writes anywhere in the
tree wait for each other on those rows until the first commits (before, only writes to the
same department did). Within a statement the rows are locked in department-key order, and a
department change locks its chain in key order before recounting it; department writes hold
the tree lock besides. Two transactions that each run several statements can still lock in
opposite orders; PostgreSQL then fails one of them with a deadlock error.
"""

from importlib import import_module

from django.db import migrations, models

TABLE = "roles_department_totals"
# How far the walks along the parent links go at most: no tree is this deep, and a corrupted
# one with a cycle (which check_tree reports) must not keep a statement running forever.
DEPTH = 1000
DEPARTMENTS = "departments_department"
COLUMNS = "department_id, roles, seats, seats_unknown, branch_roles, branch_seats, branch_seats_unknown"

POSTGRESQL = f"""
CREATE FUNCTION roles_department_totals_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {TABLE};
    RETURN NULL;
END
$$;

CREATE FUNCTION roles_department_totals_add(
    delta_ids bigint[], delta_n bigint[], delta_s bigint[], delta_u bigint[]
)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    emptied bigint[];
BEGIN
    WITH RECURSIVE delta AS (
        SELECT * FROM unnest(delta_ids, delta_n, delta_s, delta_u) AS x(id, n, s, u)
    ), chain AS (
        SELECT d.id AS source, d.id, d.parent_id, d.is_active, 0 AS step
        FROM delta JOIN {DEPARTMENTS} d ON d.id = delta.id
        UNION ALL
        SELECT c.source, p.id, p.parent_id, p.is_active, c.step + 1
        FROM chain c JOIN {DEPARTMENTS} p ON p.id = c.parent_id
        WHERE c.is_active AND p.is_active AND c.step < {DEPTH}
    ), applied AS (
        INSERT INTO {TABLE} AS t ({COLUMNS})
        SELECT chain.id,
               SUM(CASE WHEN chain.id = chain.source THEN delta.n ELSE 0 END),
               SUM(CASE WHEN chain.id = chain.source THEN delta.s ELSE 0 END),
               SUM(CASE WHEN chain.id = chain.source THEN delta.u ELSE 0 END),
               SUM(delta.n), SUM(delta.s), SUM(delta.u)
        FROM chain JOIN delta ON delta.id = chain.source
        GROUP BY chain.id
        ORDER BY chain.id
        ON CONFLICT (department_id) DO UPDATE SET
            roles = t.roles + EXCLUDED.roles,
            seats = t.seats + EXCLUDED.seats,
            seats_unknown = t.seats_unknown + EXCLUDED.seats_unknown,
            branch_roles = t.branch_roles + EXCLUDED.branch_roles,
            branch_seats = t.branch_seats + EXCLUDED.branch_seats,
            branch_seats_unknown = t.branch_seats_unknown + EXCLUDED.branch_seats_unknown
        RETURNING department_id, branch_roles
    )
    SELECT array_agg(department_id) INTO emptied FROM applied WHERE branch_roles = 0;
    IF emptied IS NOT NULL THEN
        DELETE FROM {TABLE} WHERE department_id = ANY(emptied) AND branch_roles = 0;
    END IF;
END
$$;

CREATE FUNCTION roles_department_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    n bigint[];
    s bigint[];
    u bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(department_id), array_agg(c), array_agg(h), array_agg(x)
        INTO ids, n, s, u FROM (
            SELECT department_id, COUNT(*) AS c, COALESCE(SUM(headcount), 0) AS h,
                   COUNT(*) FILTER (WHERE headcount IS NULL) AS x
            FROM new_rows WHERE is_active GROUP BY department_id
        ) delta;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(department_id), array_agg(-c), array_agg(-h), array_agg(-x)
        INTO ids, n, s, u FROM (
            SELECT department_id, COUNT(*) AS c, COALESCE(SUM(headcount), 0) AS h,
                   COUNT(*) FILTER (WHERE headcount IS NULL) AS x
            FROM old_rows WHERE is_active GROUP BY department_id
        ) delta;
    ELSE
        SELECT array_agg(department_id), array_agg(c), array_agg(h), array_agg(x)
        INTO ids, n, s, u FROM (
            SELECT department_id, SUM(c) AS c, SUM(h) AS h, SUM(x) AS x FROM (
                SELECT department_id, 1 AS c, COALESCE(headcount, 0) AS h,
                       CASE WHEN headcount IS NULL THEN 1 ELSE 0 END AS x
                FROM new_rows WHERE is_active
                UNION ALL
                SELECT department_id, -1, -COALESCE(headcount, 0),
                       CASE WHEN headcount IS NULL THEN -1 ELSE 0 END
                FROM old_rows WHERE is_active
            ) changes
            GROUP BY department_id
            HAVING SUM(c) <> 0 OR SUM(h) <> 0 OR SUM(x) <> 0
        ) delta;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM roles_department_totals_add(ids, n, s, u);
    END IF;
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

CREATE FUNCTION roles_department_totals_recount(seed bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    chain_ids bigint[];
    node record;
BEGIN
    IF seed IS NULL THEN
        RETURN;
    END IF;
    -- The department, then up while the chain is active: a department's branch depends on
    -- its children only while it is active, and a change below an archived department
    -- counts nowhere above it (archiving a subtree in one statement recounts each of its
    -- departments alone).
    WITH RECURSIVE chain AS (
        SELECT id, parent_id, is_active, 0 AS step FROM {DEPARTMENTS} WHERE id = seed
        UNION ALL
        SELECT p.id, p.parent_id, p.is_active, c.step + 1
        FROM chain c JOIN {DEPARTMENTS} p ON p.id = c.parent_id
        WHERE (c.step = 0 OR c.is_active) AND p.is_active AND c.step < {DEPTH}
    )
    SELECT array_agg(id ORDER BY step) INTO chain_ids FROM chain;
    IF chain_ids IS NULL THEN
        RETURN;
    END IF;
    -- Every row of the chain locked (and made) in key order before any is recounted.
    INSERT INTO {TABLE} AS t (department_id)
    SELECT DISTINCT id FROM unnest(chain_ids) AS id ORDER BY id
    ON CONFLICT (department_id) DO UPDATE SET roles = t.roles;
    FOR node IN
        SELECT d.id, d.is_active FROM unnest(chain_ids) WITH ORDINALITY AS c(id, step)
        JOIN {DEPARTMENTS} d ON d.id = c.id ORDER BY c.step
    LOOP
        UPDATE {TABLE} t SET
            branch_roles = t.roles + below.n,
            branch_seats = t.seats + below.s,
            branch_seats_unknown = t.seats_unknown + below.u
        FROM (
            SELECT COALESCE(SUM(k.branch_roles), 0) AS n, COALESCE(SUM(k.branch_seats), 0) AS s,
                   COALESCE(SUM(k.branch_seats_unknown), 0) AS u
            FROM {DEPARTMENTS} c JOIN {TABLE} k ON k.department_id = c.id
            WHERE c.parent_id = node.id AND c.is_active AND node.is_active
        ) below
        WHERE t.department_id = node.id;
    END LOOP;
    DELETE FROM {TABLE} WHERE department_id = ANY(chain_ids) AND branch_roles = 0;
END
$$;

CREATE FUNCTION roles_department_totals_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM {TABLE} WHERE department_id = OLD.id;
        PERFORM roles_department_totals_recount(OLD.parent_id);
    ELSIF NOT NEW.is_active AND OLD.parent_id IS NOT DISTINCT FROM NEW.parent_id
          AND NOT EXISTS (SELECT 1 FROM {DEPARTMENTS} WHERE id = NEW.parent_id AND is_active)
    THEN
        -- Archived where it stands, below an archived department (every department of a
        -- subtree archived in one statement but its top): its own roles, and nothing
        -- above it changes.
        UPDATE {TABLE} SET
            branch_roles = roles, branch_seats = seats, branch_seats_unknown = seats_unknown
        WHERE department_id = NEW.id;
        DELETE FROM {TABLE} WHERE department_id = NEW.id AND branch_roles = 0;
    ELSE
        PERFORM roles_department_totals_recount(NEW.id);
        IF OLD.parent_id IS DISTINCT FROM NEW.parent_id THEN
            PERFORM roles_department_totals_recount(OLD.parent_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER roles_department_totals_department_update
    AFTER UPDATE OF is_active, parent_id ON {DEPARTMENTS}
    FOR EACH ROW
    WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active
          OR OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION roles_department_totals_department();
CREATE TRIGGER roles_department_totals_department_delete
    AFTER DELETE ON {DEPARTMENTS}
    FOR EACH ROW EXECUTE FUNCTION roles_department_totals_department();
CREATE TRIGGER roles_department_totals_department_truncate AFTER TRUNCATE ON {DEPARTMENTS}
    FOR EACH STATEMENT EXECUTE FUNCTION roles_department_totals_clear();
"""

POSTGRESQL_DROP = f"""
DROP TRIGGER IF EXISTS roles_department_totals_department_update ON {DEPARTMENTS};
DROP TRIGGER IF EXISTS roles_department_totals_department_delete ON {DEPARTMENTS};
DROP TRIGGER IF EXISTS roles_department_totals_department_truncate ON {DEPARTMENTS};
DROP FUNCTION IF EXISTS roles_department_totals_department();
DROP FUNCTION IF EXISTS roles_department_totals_recount(bigint);
DROP TRIGGER IF EXISTS roles_department_totals_insert ON roles_role;
DROP TRIGGER IF EXISTS roles_department_totals_update ON roles_role;
DROP TRIGGER IF EXISTS roles_department_totals_delete ON roles_role;
DROP TRIGGER IF EXISTS roles_department_totals_truncate ON roles_role;
DROP FUNCTION IF EXISTS roles_department_totals_apply();
DROP FUNCTION IF EXISTS roles_department_totals_add(bigint[], bigint[], bigint[], bigint[]);
DROP FUNCTION IF EXISTS roles_department_totals_clear();
"""


def _ancestors_on_active_chain(department, *, kept=""):
    """SQL of the departments ``a`` at or above ``department`` (an SQL expression of its id)
    that a change of its branch reaches: itself, and each one above while every department
    from it up to ``a`` is active. Reads the nested set. ``kept`` names a department whose
    totals row ``b`` is read too."""
    source = f"{TABLE} b JOIN {DEPARTMENTS} d ON b.department_id = {kept}" if kept else ""
    return f"""
        FROM {source or DEPARTMENTS + " d"} JOIN {DEPARTMENTS} a
            ON a.tree_id = d.tree_id AND a.lft <= d.lft AND a.rght >= d.rght
        WHERE d.id = {department} AND (a.id = d.id OR NOT EXISTS (
            SELECT 1 FROM {DEPARTMENTS} x
            WHERE x.tree_id = d.tree_id AND x.lft <= d.lft AND x.rght >= d.rght
              AND x.lft >= a.lft AND NOT x.is_active
        ))
    """


_UPSERT = """
    ON CONFLICT (department_id) DO UPDATE SET
        roles = roles + excluded.roles,
        seats = seats + excluded.seats,
        seats_unknown = seats_unknown + excluded.seats_unknown,
        branch_roles = branch_roles + excluded.branch_roles,
        branch_seats = branch_seats + excluded.branch_seats,
        branch_seats_unknown = branch_seats_unknown + excluded.branch_seats_unknown;
"""


def _role(row, sign):
    """A role row's (``NEW`` or ``OLD``) totals added (sign 1) or taken (-1) at its
    department and the active chain above it."""
    seats = f"{sign} * COALESCE({row}.headcount, 0)"
    unknown = f"{sign} * ({row}.headcount IS NULL)"
    return f"""
        INSERT INTO {TABLE} ({COLUMNS})
        SELECT a.id,
               CASE WHEN a.id = d.id THEN {sign} ELSE 0 END,
               CASE WHEN a.id = d.id THEN {seats} ELSE 0 END,
               CASE WHEN a.id = d.id THEN {unknown} ELSE 0 END,
               {sign}, {seats}, {unknown}
        {_ancestors_on_active_chain(f"{row}.department_id")} AND {row}.is_active
        {_UPSERT}
    """


def _emptied(*departments):
    """Drop the rows left without roles at or above ``departments`` (SQL expressions)."""
    return f"""
        DELETE FROM {TABLE} WHERE branch_roles = 0 AND department_id IN (
            SELECT a.id FROM {DEPARTMENTS} d JOIN {DEPARTMENTS} a
                ON a.tree_id = d.tree_id AND a.lft <= d.lft AND a.rght >= d.rght
            WHERE d.id IN ({", ".join(departments)})
        );
    """


def _move_branch(department, parent, sign, active):
    """Add (sign 1) or take (-1) the kept branch of ``department`` to or from ``parent`` and
    the active chain above it, when ``active`` holds (ids and condition as SQL)."""
    return f"""
        INSERT INTO {TABLE} ({COLUMNS})
        SELECT a.id, 0, 0, 0, {sign} * b.branch_roles, {sign} * b.branch_seats,
               {sign} * b.branch_seats_unknown
        {_ancestors_on_active_chain(parent, kept=department)} AND {active} AND d.is_active
        {_UPSERT}
    """


# d's own branch from its own roles and its active children's kept branches.
_RECOUNT = f"""
    INSERT INTO {TABLE} ({COLUMNS})
    SELECT NEW.id, 0, 0, 0, COALESCE(SUM(k.branch_roles), 0), COALESCE(SUM(k.branch_seats), 0),
           COALESCE(SUM(k.branch_seats_unknown), 0)
    FROM {DEPARTMENTS} c JOIN {TABLE} k ON k.department_id = c.id
    WHERE c.parent_id = NEW.id AND c.is_active AND NEW.is_active
    ON CONFLICT (department_id) DO UPDATE SET
        branch_roles = roles + excluded.branch_roles,
        branch_seats = seats + excluded.branch_seats,
        branch_seats_unknown = seats_unknown + excluded.branch_seats_unknown;
"""

SQLITE = [
    f"CREATE TRIGGER roles_department_totals_insert AFTER INSERT ON roles_role "
    f"BEGIN {_role('NEW', 1)} END",
    # The old row's totals leave before the new row's come in: a role that moves to another
    # department, is archived or restored, or changes its headcount.
    f"CREATE TRIGGER roles_department_totals_update "
    f"AFTER UPDATE OF is_active, headcount, department_id ON roles_role "
    f"BEGIN {_role('OLD', -1)} {_role('NEW', 1)} {_emptied('OLD.department_id')} END",
    f"CREATE TRIGGER roles_department_totals_delete AFTER DELETE ON roles_role "
    f"BEGIN {_role('OLD', -1)} {_emptied('OLD.department_id')} END",
    # Off the old parent's chain with its old state, recounted, onto the new parent's chain.
    f"CREATE TRIGGER roles_department_totals_department_update "
    f"AFTER UPDATE OF is_active, parent_id ON {DEPARTMENTS} "
    f"WHEN OLD.is_active IS NOT NEW.is_active OR OLD.parent_id IS NOT NEW.parent_id "
    f"BEGIN {_move_branch('OLD.id', 'OLD.parent_id', -1, 'OLD.is_active')} {_RECOUNT} "
    f"{_move_branch('NEW.id', 'NEW.parent_id', 1, 'NEW.is_active')} "
    f"DELETE FROM {TABLE} WHERE department_id = NEW.id AND branch_roles = 0; "
    f"{_emptied('OLD.parent_id')} END",
    f"CREATE TRIGGER roles_department_totals_department_delete AFTER DELETE ON {DEPARTMENTS} "
    f"BEGIN {_move_branch('OLD.id', 'OLD.parent_id', -1, 'OLD.is_active')} "
    f"DELETE FROM {TABLE} WHERE department_id = OLD.id; {_emptied('OLD.parent_id')} END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS roles_department_totals_insert",
    "DROP TRIGGER IF EXISTS roles_department_totals_update",
    "DROP TRIGGER IF EXISTS roles_department_totals_delete",
    "DROP TRIGGER IF EXISTS roles_department_totals_department_update",
    "DROP TRIGGER IF EXISTS roles_department_totals_department_delete",
]

# Every department's own and branch totals from the roles and the parent links (the same
# statement as departments.tree.settle_branch_totals()).
RECOUNT = f"""
WITH RECURSIVE own AS (
    SELECT department_id AS id, COUNT(*) AS n, COALESCE(SUM(headcount), 0) AS s,
           SUM(CASE WHEN headcount IS NULL THEN 1 ELSE 0 END) AS u
    FROM roles_role WHERE is_active GROUP BY department_id
), reach (top, id, depth) AS (
    SELECT id, id, 0 FROM {DEPARTMENTS}
    UNION ALL
    SELECT r.top, c.id, r.depth + 1 FROM reach r
    JOIN {DEPARTMENTS} t ON t.id = r.id
    JOIN {DEPARTMENTS} c ON c.parent_id = r.id
    WHERE t.is_active AND c.is_active AND r.depth < {DEPTH}
)
INSERT INTO {TABLE} ({COLUMNS})
SELECT r.top, SUM(CASE WHEN r.top = r.id THEN o.n ELSE 0 END),
       SUM(CASE WHEN r.top = r.id THEN o.s ELSE 0 END),
       SUM(CASE WHEN r.top = r.id THEN o.u ELSE 0 END),
       SUM(o.n), SUM(o.s), SUM(o.u)
FROM reach r JOIN own o ON o.id = r.id
GROUP BY r.top
ORDER BY r.top
"""


def _previous():
    return import_module("roles.migrations.0006_department_role_totals")


def drop_previous_triggers(apps, schema_editor):
    # First: SQLite rebuilds the totals' table below, which it refuses while triggers
    # name it.
    _previous().drop_triggers(apps, schema_editor)


def restore_previous_triggers(apps, schema_editor):
    schema_editor.execute(f"DELETE FROM {TABLE}")
    _previous().create_triggers(apps, schema_editor)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No role totals triggers for {vendor}.")
    schema_editor.execute(f"DELETE FROM {TABLE}")
    schema_editor.execute(RECOUNT)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("roles", "0006_department_role_totals"),
    ]

    operations = [
        migrations.RunPython(drop_previous_triggers, restore_previous_triggers),
        migrations.AddField(
            model_name="departmentroletotals",
            name="branch_roles",
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name="departmentroletotals",
            name="branch_seats",
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name="departmentroletotals",
            name="branch_seats_unknown",
            field=models.IntegerField(db_default=0),
        ),
        migrations.AlterField(
            model_name="departmentroletotals",
            name="roles",
            field=models.IntegerField(db_default=0),
        ),
        migrations.AlterField(
            model_name="departmentroletotals",
            name="seats",
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.AlterField(
            model_name="departmentroletotals",
            name="seats_unknown",
            field=models.IntegerField(db_default=0),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
