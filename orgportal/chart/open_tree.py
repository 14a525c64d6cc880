"""The chart's open levels: the departments it shows, loaded from SQL limited to them.

The chart shows the root and its children, and opens the path to a focused department and
that department's children; every other card is closed, with the number of departments below
it that the reader sees, and opens on demand as a fragment (views.ChartBranchView). Each
answer costs three queries whatever the organisation's size: the path (the root, the focus and
the departments between), the children of the open departments (a page of each at most), and
their role totals. Nodes are departments.tree.TreeNode: plain data, safe to cache.
"""

from django.db import connections
from django.db.models import Case, Count, F, OuterRef, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from departments.models import Department
from departments.tree import (
    ACCENTS,
    CARD_TEXTS,
    TREE_ROW_FIELDS,
    branch_role_totals,
    connection_quote,
    descendants_shown,
    node_factory,
    text_columns,
)


def _age_rank():
    """Return an expression: for the root's children, how many of their siblings are older.

    The root's children take the chart's colours in the order they were created, archived
    ones included, so a department keeps its colour when HR reorder or archive its siblings.
    """
    older = (
        Department._base_manager.filter(parent_id=OuterRef("parent_id"), pk__lt=OuterRef("pk"))
        .order_by()
        .values("parent_id")
        .annotate(older=Count("pk"))
        .values("older")
    )
    return Case(When(level=1, then=Coalesce(Subquery(older), 0)), default=Value(0))


def _with_figures(departments, include_archived):
    return departments.annotate(
        below=descendants_shown(include_archived=include_archived), age_rank=_age_rank()
    )


def _fields():
    return [*TREE_ROW_FIELDS, *text_columns(CARD_TEXTS), "below", "age_rank"]


def _figures_sql(include_archived):
    """Return the SQL of the select list of a department row ``d``: TREE_ROW_FIELDS (id as
    ``pk``), the card texts in the active language and its fallback, ``below`` (as
    tree.descendants_shown()) and ``age_rank`` (as _age_rank()).

    Written out rather than compiled by the ORM: the chart's fragments and page run it on
    every uncached answer, and compiling its subqueries cost several times running them.
    """
    table = connection_quote(Department._meta.db_table)
    quote = connections[Department._base_manager.db].ops.quote_name
    columns = [f"d.{quote(name)} AS {quote(name)}" for name in text_columns(CARD_TEXTS)]
    below = "(d.rght - d.lft - 1) / 2"
    if not include_archived:
        # Less the outermost archived ranges strictly below (few rows, through the partial
        # index department_archived_range).
        below = f"""{below} - COALESCE((
            SELECT SUM((a.rght - a.lft + 1) / 2) FROM {table} a
            WHERE a.tree_id = d.tree_id AND a.lft > d.lft AND a.lft < d.rght AND NOT a.is_active
              AND NOT EXISTS (
                SELECT 1 FROM {table} b
                WHERE b.tree_id = a.tree_id AND NOT b.is_active
                  AND b.lft < a.lft AND b.rght > a.rght AND b.lft > d.lft
              )
        ), 0)"""
    age_rank = f"""CASE WHEN d.level = 1 THEN (
        SELECT COUNT(*) FROM {table} u WHERE u.parent_id = d.parent_id AND u.id < d.id
    ) ELSE 0 END"""
    return ", ".join(
        [
            "d.id AS pk",
            *(f"d.{name} AS {name}" for name in TREE_ROW_FIELDS if name != "pk"),
            *columns,
            f"{below} AS below",
            f"{age_rank} AS age_rank",
        ]
    )


def _rows(sql, params):
    with connections[Department._base_manager.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        # SQLite answers 0 and 1 for booleans, PostgreSQL its sums of integers as decimals.
        row["is_active"] = bool(row["is_active"])
        row["below"] = int(row["below"])
    return rows


def path_rows(code, *, include_archived):
    """Return the rows of the root and, with ``code``, of that department and every
    department above it, in tree order (one query). The caller checks what came back: an
    unknown code brings the root only, and an archived department on the path hides the
    rest from those who may not see archived items.

    The path follows the parent links up from the department (a key look-up per level): the
    nested set's ancestors read every department to the left of a deep one."""
    table = connection_quote(Department._meta.db_table)
    figures = _figures_sql(include_archived)
    sql = f"""
        WITH RECURSIVE path AS (
            SELECT {figures} FROM {table} d WHERE d.code = %s
            UNION ALL
            SELECT {figures} FROM {table} d JOIN path ON d.id = path.parent_id
        )
        SELECT * FROM (
            SELECT * FROM path
            UNION ALL
            SELECT {figures} FROM {table} d
            WHERE d.parent_id IS NULL AND NOT EXISTS (SELECT 1 FROM path WHERE path.pk = d.id)
        ) rows ORDER BY tree_id, lft
    """
    rows = _rows(sql, [code or ""])
    if rows:
        # One organisation, one tree: the first root's.
        rows = [row for row in rows if row["tree_id"] == rows[0]["tree_id"]]
    return rows


def children_seen(code, *, include_archived):
    """Return how many children of department ``code`` the reader sees, or None when the
    reader does not see the department itself (unknown, or at or below an archived one for
    those who may not see archived items). One small query: the check made before a cached
    drawing is served, so it is written in SQL rather than compiled by the ORM each time."""
    table = connection_quote(Department._meta.db_table)
    active_children = "" if include_archived else "AND c.is_active"
    # As Department.objects.visible(): no archived department at or above it.
    visible = (
        ""
        if include_archived
        else f"""AND NOT EXISTS (
            SELECT 1 FROM {table} a
            WHERE a.tree_id = d.tree_id AND a.lft <= d.lft AND a.rght >= d.rght
              AND NOT a.is_active
        )"""
    )
    sql = f"""
        SELECT (SELECT COUNT(*) FROM {table} c WHERE c.parent_id = d.id {active_children})
        FROM {table} d WHERE d.code = %s {visible}
    """
    with connections[Department._base_manager.db].cursor() as cursor:
        cursor.execute(sql, [code])
        row = cursor.fetchone()
    return None if row is None else row[0]


def child_rows(parent_pks, *, include_archived, page_size):
    """Return the rows of the first ``page_size`` children of each department of
    ``parent_pks``, in tree order, each with ``siblings``: how many children its parent has
    that the reader sees (one query)."""
    children = Department._base_manager.filter(parent_id__in=list(parent_pks))
    if not include_archived:
        children = children.filter(is_active=True)
    children = (
        _with_figures(children, include_archived)
        .annotate(
            place=Window(RowNumber(), partition_by=[F("parent_id")], order_by=F("lft").asc()),
            siblings=Window(Count("pk"), partition_by=[F("parent_id")]),
        )
        .filter(place__lte=page_size)
        .order_by("tree_id", "lft")
    )
    return list(children.values(*_fields(), "siblings"))


def child_page(parent_pk, *, include_archived, offset, limit):
    """Return the rows of the children ``offset`` to ``offset + limit`` of a department, in
    tree order, each with ``siblings`` as in child_rows() (one query, written out as
    path_rows())."""
    table = connection_quote(Department._meta.db_table)
    active = "" if include_archived else "AND d.is_active"
    sql = f"""
        SELECT {_figures_sql(include_archived)}, COUNT(*) OVER () AS siblings
        FROM {table} d WHERE d.parent_id = %s {active}
        ORDER BY d.lft LIMIT %s OFFSET %s
    """
    return _rows(sql, [parent_pk, limit, offset])


def nodes_from_rows(path, children, *, page_size, offset=0, cards=None):
    """Build the shown tree from the rows of path_rows() and child_rows() (or child_page()),
    in one pass in tree order, with role totals from one more query; return the nodes by pk.

    Every department of ``path`` is open; each open department with more children than shown
    gets ``more_children``: how many follow the ones shown from ``offset``. ``cards`` (pks)
    limits the role totals to the cards drawn, when the path itself is not drawn.
    """
    rows = {row["pk"]: row for row in path}
    rows.update((row["pk"], row) for row in children)
    paged = {row["pk"] for row in children}
    ordered = sorted(rows.values(), key=lambda row: (row["tree_id"], row["lft"]))
    # One kept row per card drawn (the database keeps each department's branch totals).
    totals = branch_role_totals(rows if cards is None else cards)
    make = node_factory(CARD_TEXTS)
    nodes = {}
    siblings = {}
    for row in ordered:
        parent = nodes.get(row["parent_id"])
        if nodes and parent is None:
            continue  # below a department not shown (cannot happen with rows from here)
        node = make(row)
        node.descendant_count = row["below"]
        own, count, seats, unknown = totals.get(node.pk, (0, 0, 0, 0))
        node.role_count = own
        node.add_totals((count, seats, unknown))
        if parent is None:
            node.accent = row["age_rank"] % ACCENTS + 1 if row["level"] == 1 else 0
        else:
            node.accent = parent.accent or row["age_rank"] % ACCENTS + 1
            node.beyond_page = node.pk not in paged
            parent.children.append(node)
        if "siblings" in row:
            siblings[row["parent_id"]] = row["siblings"]
        nodes[node.pk] = node
    for row in path:
        node = nodes.get(row["pk"])
        if node is not None:
            node.is_open = True
            node.more_children = max(siblings.get(node.pk, 0) - offset - page_size, 0)
    return nodes
