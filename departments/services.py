"""Multi-step writes to the Department tree: moves, archiving, rebuilds and bulk writes."""

from dataclasses import dataclass

from django.db import connections, transaction
from django.utils import timezone

from departments.locking import lock_tree, tree_write
from departments.models import TREE_FIELDS, Department
from departments.signals import tree_rebuilt
from departments.tree import settle_branch_totals


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


def nested_set_fields(parents: list[int | None]) -> list[tuple[int, int, int]]:
    """Return (lft, rght, level) of each node, given each node's parent index.

    Node 0 is the root, and every parent comes before its children; siblings keep their index
    order. One depth-first pass without recursion, so depth is unlimited.
    """
    children: list[list[int]] = [[] for _ in parents]
    for index, parent in enumerate(parents):
        if parent is not None:
            children[parent].append(index)
    fields = [(0, 0, 0)] * len(parents)
    lft = [0] * len(parents)
    level = [0] * len(parents)
    counter = 1
    lft[0] = counter
    # Each stack entry is a node and the position of its next child to visit.
    stack = [(0, 0)]
    while stack:
        node, next_child = stack[-1]
        if next_child < len(children[node]):
            stack[-1] = (node, next_child + 1)
            child = children[node][next_child]
            counter += 1
            lft[child] = counter
            level[child] = level[node] + 1
            stack.append((child, 0))
        else:
            stack.pop()
            counter += 1
            fields[node] = (lft[node], counter, level[node])
    return fields


class BulkWrites:
    """The one place where bulk writes of departments, roles and duties reach the database.

    Imports write through an instance of this class, so that whoever needs to see every bulk
    write (history, with django-simple-history's bulk_create_with_history and
    bulk_update_with_history) overrides these two methods.
    """

    batch_size = 1000

    def create(self, model, objects: list) -> list:
        """Insert ``objects``; return them with their primary keys set."""
        if not objects:
            return objects
        return model._base_manager.bulk_create(objects, batch_size=self.batch_size)

    def update(self, model, objects: list, fields: list[str]) -> None:
        """Write ``fields`` of ``objects`` (instances with their primary keys)."""
        if objects:
            model._base_manager.bulk_update(objects, fields, batch_size=self.batch_size)

    def finish(self) -> None:
        """Called when the import has written its departments, roles and duties, and again
        after its teams, before its transaction commits."""


@dataclass
class PlannedDepartment:
    """A department as a bulk write leaves it.

    ``instance`` holds the columns to write (a new department has no primary key yet);
    ``parent`` is the index of its parent in the plan. An existing department has ``stored``,
    its (parent_id, lft, rght, level, tree_id) as read under the lock, and ``changed`` when
    its own columns (or its place among its siblings) change.
    """

    instance: Department
    parent: int | None
    stored: tuple | None = None
    changed: bool = False


def department_bulk_write(
    *,
    plan: list[PlannedDepartment],
    content_fields: list[str],
    writes: BulkWrites | None = None,
    using: str = "default",
) -> None:
    """Write the whole department tree of ``plan`` (in pre-order) in bulk, under the tree lock.

    The nested set of the whole tree is computed in one pass. New departments are inserted
    level by level (parents first, so each knows its parent's key); existing ones whose place
    changed get their tree fields, those that ``changed`` their ``content_fields``. The tree is
    checked with tree_problems() before the transaction can commit.
    """
    writes = writes or BulkWrites()
    with tree_write(using):
        root = plan[0]
        tree_id = root.stored[4] if root.stored else 1
        new_by_level = {}
        for node, (lft, rght, level) in zip(
            plan, nested_set_fields([node.parent for node in plan]), strict=True
        ):
            instance = node.instance
            instance.lft, instance.rght, instance.level, instance.tree_id = (
                lft,
                rght,
                level,
                tree_id,
            )
            if node.stored is None:
                new_by_level.setdefault(level, []).append(node)
        for level in sorted(new_by_level):
            nodes = new_by_level[level]
            for node in nodes:
                parent = plan[node.parent].instance if node.parent is not None else None
                node.instance.parent_id = parent.pk if parent is not None else None
            writes.create(Department, [node.instance for node in nodes])
        placed, changed = [], []
        now = timezone.now()
        for node in plan:
            if node.stored is None:
                continue
            instance = node.instance
            instance.parent_id = plan[node.parent].instance.pk if node.parent is not None else None
            tree = (instance.parent_id, instance.lft, instance.rght, instance.level, tree_id)
            if tree != node.stored:
                placed.append(instance)
            if node.changed:
                instance.updated_at = now
                changed.append(instance)
        writes.update(Department, placed, ["parent", *TREE_FIELDS])
        writes.update(Department, changed, [*content_fields, "updated_at"])
        settle_branch_totals(using)
        problems = tree_problems(using=using)
        if problems:
            raise AssertionError(f"A bulk write would leave the tree invalid: {problems[:5]}")
