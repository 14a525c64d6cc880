"""Multi-step writes to the Department tree: moves, archiving and rebuilds."""

from django.db import connection, transaction

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


def tree_problems() -> list[str]:
    """Check the nested-set invariants in SQL and return one line per bad row.

    Bounds, parent containment, levels, nesting, one root per tree, tree width and duplicate
    edges together make a nested set that agrees with its parent links.

    The check names stay untranslated: they are identifiers for operators and scripts.
    """
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
            # A node whose range sits inside a sibling's passes the checks above but is
            # counted as that sibling's descendant: its level must equal its enclosing nodes.
            "nesting",
            f"SELECT c.id, c.code, c.level, (SELECT COUNT(*) FROM {table} a "
            "WHERE a.tree_id = c.tree_id AND a.lft < c.lft AND a.rght > c.rght) AS depth "
            f"FROM {table} c WHERE c.level <> (SELECT COUNT(*) FROM {table} a "
            "WHERE a.tree_id = c.tree_id AND a.lft < c.lft AND a.rght > c.rght)",
        ),
        (
            "one root per tree",
            f"SELECT tree_id, COUNT(*) FROM {table} WHERE parent_id IS NULL "
            "GROUP BY tree_id HAVING COUNT(*) <> 1 "
            f"UNION ALL SELECT tree_id, 0 FROM {table} t WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} r WHERE r.tree_id = t.tree_id AND r.parent_id IS NULL) "
            "GROUP BY tree_id",
        ),
        (
            "tree width",
            f"SELECT r.id, r.code, r.lft, r.rght, (SELECT COUNT(*) FROM {table} n "
            f"WHERE n.tree_id = r.tree_id) FROM {table} r WHERE r.parent_id IS NULL "
            f"AND (r.lft <> 1 OR r.rght <> 2 * (SELECT COUNT(*) FROM {table} n "
            "WHERE n.tree_id = r.tree_id))",
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
