"""Multi-step writes to the Department tree: moves, archiving and rebuilds."""

from django.db import connections, transaction

from departments.locking import lock_tree
from departments.models import TREE_FIELDS, Department
from departments.signals import tree_rebuilt


@transaction.atomic
def department_move(*, department: Department, target: Department, position: str) -> Department:
    """Move ``department`` relative to ``target`` and return it as it now stands.

    Department.move_to() checks the position and the target under the tree lock.
    """
    department.move_to(target, position)
    department.refresh_from_db()
    return department


@transaction.atomic
def department_archive(*, department: Department) -> int:
    """Archive ``department`` and its whole subtree; return how many were active."""
    lock_tree()
    department.refresh_from_db()
    archived = department.archive_descendants() + int(department.is_active)
    department.is_active = False
    # Saved even when it was archived already: the save tells the page cache.
    department.save(update_fields=["is_active", "updated_at"])
    return archived


def tree_snapshot() -> list[tuple]:
    """Return every node's (pk, parent, lft, rght, tree_id, level) in tree order."""
    return list(
        Department._base_manager.order_by("tree_id", "lft", "pk").values_list(
            "pk", "parent_id", *TREE_FIELDS
        )
    )


@transaction.atomic
def department_tree_rebuild() -> int:
    """Rebuild the nested set from parent links under the lock; return how many rows changed.

    Siblings keep their current order (the model orders by tree_id, lft).
    """
    lock_tree()
    before = {row[0]: row for row in tree_snapshot()}
    Department.objects.rebuild()
    after = tree_snapshot()
    changed = sum(1 for row in after if before.get(row[0]) != row)
    if changed:
        tree_rebuilt.send(sender=Department, changed=changed)
    return changed


def tree_problems(*, using: str = "default") -> list[str]:
    """Check the nested-set invariants in SQL and return one line per bad row.

    Bounds, parent containment, levels, nesting, one root per tree, tree width and duplicate
    edges together make a nested set that agrees with its parent links. Every check is one
    set-based query (a scan, a join on the primary key, a grouping or one sort), so the whole
    check takes eight queries and time close to linear in the number of departments.

    The check names stay untranslated: they are identifiers for operators and scripts.
    """
    connection = connections[using]
    table = connection.ops.quote_name(Department._meta.db_table)
    checks = [
        (
            "bounds",
            f"SELECT id, code, lft, rght FROM {table} "
            "WHERE lft < 1 OR rght <= lft OR (rght - lft) % 2 = 0",
        ),
        (
            "parent containment",
            f"SELECT c.id, c.code, c.lft, c.rght FROM {table} c "
            f"JOIN {table} p ON p.id = c.parent_id "
            "WHERE c.tree_id <> p.tree_id OR c.lft <= p.lft OR c.rght >= p.rght",
        ),
        (
            "level",
            f"SELECT c.id, c.code, c.level, p.level FROM {table} c "
            f"LEFT JOIN {table} p ON p.id = c.parent_id "
            "WHERE (p.id IS NULL AND c.level <> 0) "
            "OR (p.id IS NOT NULL AND c.level <> p.level + 1)",
        ),
        (
            # Walking the edges in order, +1 at each lft and -1 at each rght, the running sum
            # before a node's lft counts the ranges open there: its depth. Its ancestors are
            # all open there (parent containment) and number exactly its level (the level
            # check), so depth = level means no other range is open there: that rules out a
            # node inside a sibling's range and ranges that overlap without nesting.
            "nesting",
            "SELECT id, code, level, depth FROM ("
            "SELECT id, code, level, is_lft, SUM(CASE WHEN is_lft = 1 THEN 1 ELSE -1 END) "
            "OVER (PARTITION BY tree_id ORDER BY edge, is_lft, id ROWS UNBOUNDED PRECEDING) - 1 "
            "AS depth FROM ("
            f"SELECT id, code, level, tree_id, lft AS edge, 1 AS is_lft FROM {table} "
            f"UNION ALL SELECT id, code, level, tree_id, rght AS edge, 0 AS is_lft FROM {table}"
            ") edges) walk WHERE is_lft = 1 AND depth <> level",
        ),
        (
            "one root per tree",
            "SELECT tree_id, SUM(CASE WHEN parent_id IS NULL THEN 1 ELSE 0 END) AS roots "
            f"FROM {table} GROUP BY tree_id "
            "HAVING SUM(CASE WHEN parent_id IS NULL THEN 1 ELSE 0 END) <> 1",
        ),
        (
            "tree width",
            f"SELECT r.id, r.code, r.lft, r.rght, s.nodes FROM {table} r "
            f"JOIN (SELECT tree_id, COUNT(*) AS nodes FROM {table} GROUP BY tree_id) s "
            "ON s.tree_id = r.tree_id "
            "WHERE r.parent_id IS NULL AND (r.lft <> 1 OR r.rght <> 2 * s.nodes)",
        ),
        (
            "duplicate edges",
            f"SELECT tree_id, edge, COUNT(*) FROM (SELECT tree_id, lft AS edge FROM {table} "
            f"UNION ALL SELECT tree_id, rght AS edge FROM {table}) e "
            "GROUP BY tree_id, edge HAVING COUNT(*) > 1",
        ),
        (
            "more than one tree",
            f"SELECT n FROM (SELECT COUNT(DISTINCT tree_id) AS n FROM {table}) s WHERE n > 1",
        ),
    ]
    problems = []
    with connection.cursor() as cursor:
        for name, sql in checks:
            cursor.execute(sql)
            problems.extend(f"{name}: {row}" for row in cursor.fetchall())
    return problems
