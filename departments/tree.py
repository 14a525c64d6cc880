"""Department trees built from ``values()`` rows: plain nodes, one linear pass, no instances.

The chart, the department pages and the tree API show departments with the totals of their
branch. They load the rows they show (and the role totals the database keeps per department),
and build nested nodes with a parent map in one pass in tree order, then add up the totals in
one pass back. No QuerySet per node, no model instance per node, and nothing here holds a
connection to the database, so nodes and what is rendered from them may be cached.
"""

from bisect import bisect_right

from django.db import connections
from django.db.models import (
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from departments.models import Department
from orgportal.i18n import column, fallback_order

ACCENTS = 8
TREE_ROW_FIELDS = ("pk", "code", "parent_id", "tree_id", "lft", "rght", "level", "is_active")
# The texts a drawn tree shows of each department.
CARD_TEXTS = ("name", "tagline", "description")


class TreeNode:
    """A department in a loaded tree, with the totals of its visible branch.

    ``role_count`` counts the department's own active roles; ``subtree_role_count`` those of
    the department and every active department below it. ``seats`` adds up the planned seats
    of those roles that have a headcount, and ``seats_unknown`` counts the ones without.
    ``descendant_count`` counts the departments below it that the reader sees, loaded or not.
    Texts are in the language that was active when the tree was loaded.
    """

    __slots__ = (
        "pk",
        "code",
        "parent_id",
        "tree_id",
        "lft",
        "rght",
        "level",
        "is_active",
        "texts",
        "url",
        "children",
        "role_count",
        "subtree_role_count",
        "seats",
        "seats_unknown",
        "descendant_count",
        "accent",
        "is_open",
        "is_focused",
        "more_children",
        "beyond_page",
    )

    def __init__(self, row, texts, url):
        for name in TREE_ROW_FIELDS:
            setattr(self, name, row[name])
        self.texts = texts
        self.url = url
        self.children = []
        self.role_count = self.subtree_role_count = self.seats = self.seats_unknown = 0
        self.descendant_count = 0
        self.accent = 0
        self.is_open = self.is_focused = False
        # Children not loaded (beyond a page of a very wide list): how many more there are.
        self.more_children = 0
        # Drawn beside its parent's first page although it lies beyond it (on a focus's path).
        self.beyond_page = False

    # Templates written for model instances read ``node.department.name``: the node is both.
    @property
    def department(self):
        return self

    @property
    def name(self):
        return self.texts.get("name", "")

    @property
    def tagline(self):
        return self.texts.get("tagline", "")

    @property
    def description(self):
        return self.texts.get("description", "")

    @property
    def positioning(self):
        return self.texts.get("positioning", "")

    @property
    def has_children(self):
        return self.descendant_count > 0

    def get_absolute_url(self):
        return self.url

    def walk(self):
        """Yield this node and every loaded node below it, in tree order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def add_totals(self, totals):
        """Add ``totals`` (role count, seats, seats unknown) of an active branch below."""
        count, seats, unknown = totals
        self.subtree_role_count += count
        self.seats += seats
        self.seats_unknown += unknown


def text_columns(fields):
    """Return the columns to load for ``fields`` in the active language and its fallback."""
    return [column(field, language) for field in fields for language in fallback_order()]


def _texts(row, fields, order):
    texts = {}
    for field in fields:
        for language in order:
            value = row.get(column(field, language))
            if value:
                texts[field] = value
                break
        else:
            texts[field] = ""
    return texts


def node_factory(fields=CARD_TEXTS):
    """Return a function that makes a TreeNode of a row, its texts in the active language."""
    order = fallback_order()
    url_template = reverse("departments:detail", kwargs={"code": "__code__"})

    def make(row):
        return TreeNode(
            row, _texts(row, fields, order), url_template.replace("__code__", row["code"])
        )

    return make


def totals_model():
    """The totals of each department's own active roles, kept by the database on every
    write to the roles (roles.models.DepartmentRoleTotals), reached through the relation."""
    return Department._meta.get_field("role_totals").related_model


def role_totals(departments=None, *, within=None):
    """Return {department pk: (active roles, their seats, those without a headcount)}.

    One query over the totals the database keeps per department (roles.DepartmentRoleTotals,
    one row per department with active roles): of ``departments`` (a queryset of them), or of
    the subtree of the department ``within``, or of all. An archived department's roles count
    for itself only: its branch adds nothing to the departments above it.
    """
    totals = totals_model()._base_manager.all()
    if within is not None:
        totals = totals.filter(
            department__tree_id=within.tree_id,
            department__lft__gte=within.lft,
            department__lft__lt=within.rght,
        )
    elif departments is not None:
        totals = totals.filter(department__in=departments.values("pk"))
    rows = totals.order_by().values_list("department_id", "roles", "seats", "seats_unknown")
    return {pk: (count, int(seats), unknown) for pk, count, seats, unknown in rows}


def load_tree(departments, *, include_archived=False, accent=0, texts=CARD_TEXTS):
    """Load ``departments`` (one whole subtree) and return its top node with totals, or None.

    Two queries: the rows in tree order and the role totals. Archived departments, and
    everything below them, are left out unless ``include_archived``; the totals count active
    roles of active departments only. ``accent`` is the colour of the top node's branch (see
    ``branch_accent``); below the root each branch gets its own by its age. Nothing below an
    archived department counts in any total, even where an older version left something
    active there.
    """
    rows = list(
        departments.order_by("tree_id", "lft").values(*TREE_ROW_FIELDS, *text_columns(texts))
    )
    if not rows or not (include_archived or rows[0]["is_active"]):
        return None
    totals = role_totals(within=SimpleRange(rows[0]))
    return tree_from_rows(
        rows, totals, include_archived=include_archived, accent=accent, texts=texts
    )


def tree_from_rows(rows, totals, *, include_archived=False, accent=0, texts=CARD_TEXTS):
    """Build the tree of load_tree() from ``rows`` (TREE_ROW_FIELDS and the text columns, in
    tree order) and ``totals`` (as role_totals() returns them); None without rows.

    The organisation as of a past date (orgportal.changes) comes through here too.
    """
    if not rows or not (include_archived or rows[0]["is_active"]):
        return None
    make = node_factory(texts)
    top = make(rows[0])
    top.accent = accent
    nodes = {top.pk: top}
    ordered = [top]
    # The root's children take colours by age (pk), archived ones included.
    root_ranks = {}
    if top.parent_id is None:
        ages = sorted(row["pk"] for row in rows if row["parent_id"] == top.pk)
        root_ranks = {pk: rank % ACCENTS + 1 for rank, pk in enumerate(ages)}
    for row in rows[1:]:
        parent = nodes.get(row["parent_id"])
        if parent is None or not (include_archived or row["is_active"]):
            continue  # below a department left out, or archived
        node = make(row)
        node.accent = parent.accent or root_ranks.get(node.pk, 0)
        parent.children.append(node)
        nodes[node.pk] = node
        ordered.append(node)
    for node in ordered:
        own = totals.get(node.pk)
        if own:
            node.role_count = own[0]
            node.add_totals(own)
    # Back from the deepest: each node adds its branch to its parent.
    for node in reversed(ordered[1:]):
        parent = nodes[node.parent_id]
        parent.descendant_count += 1 + node.descendant_count
        if node.is_active and parent.is_active:
            parent.add_totals((node.subtree_role_count, node.seats, node.seats_unknown))
    return top


class SimpleRange:
    """The tree place of a row, for filters that take a department."""

    def __init__(self, row):
        self.tree_id, self.lft, self.rght = row["tree_id"], row["lft"], row["rght"]


def load_branch(department, *, include_archived=False, accent=0, texts=CARD_TEXTS, children=None):
    """Return the node of ``department`` with its direct children, each with branch totals.

    What a department page and an opened branch of the chart show, at the cost of the rows
    they show: the children, the role totals of each shown department's branch (kept by the
    database, one row each, see branch_role_totals()), and the ranges of the archived
    departments within it (three queries). ``department`` is a Department or a TreeNode
    already loaded. Archived children show only with ``include_archived``; nothing below an
    archived department counts in any total, even where an older version left something
    active there.
    ``children`` limits the children loaded to a slice (a page of a very wide list);
    ``more_children`` then says whether more follow.
    """
    fields = [*TREE_ROW_FIELDS, *text_columns(texts)]
    make = node_factory(texts)
    top = TreeNode(
        {name: getattr(department, name) for name in TREE_ROW_FIELDS},
        {field: getattr(department, field) or "" for field in texts},
        department.get_absolute_url(),
    )
    top.accent = accent
    # Written out, not compiled by the ORM on every page (as the other queries here).
    table = connection_quote(Department._meta.db_table)
    quote = connections[Department._base_manager.db].ops.quote_name
    select = ", ".join(
        "d.id AS pk" if name == "pk" else f"d.{quote(name)} AS {quote(name)}" for name in fields
    )
    active = "" if include_archived else "AND d.is_active"
    sql = f"SELECT {select} FROM {table} d WHERE d.parent_id = %s {active} ORDER BY d.lft"
    params = [top.pk]
    if children is not None:
        # One more than asked for tells whether more follow.
        size = children.stop - children.start
        sql += " LIMIT %s OFFSET %s"
        params += [size + 1, children.start]
    child_rows = fetch_rows(sql, params)
    if children is not None:
        top.more_children = max(len(child_rows) - size, 0)
        child_rows = child_rows[:size]
    ranks = {}
    if top.parent_id is None:
        # The root's children take colours by age (pk), archived ones included.
        ages = Department._base_manager.filter(parent_id=top.pk).order_by("pk")
        ranks = {pk: rank for rank, pk in enumerate(ages.values_list("pk", flat=True))}
    for row in child_rows:
        node = make(row)
        node.accent = accent or ranks.get(node.pk, 0) % ACCENTS + 1
        top.children.append(node)
    # Kept by the database per department: one row by key for each shown department,
    # whatever the size of its branch.
    nodes = (top, *top.children)
    totals = branch_role_totals([node.pk for node in nodes])
    for node in nodes:
        own, count, seats, unknown = totals.get(node.pk, (0, 0, 0, 0))
        node.role_count = own
        node.add_totals((count, seats, unknown))
    archived = ArchivedRanges(top)
    for node in nodes:
        node.descendant_count = (node.rght - node.lft - 1) // 2
        if not include_archived:
            node.descendant_count -= archived.count_inside(node)
    return top


class ArchivedRanges:
    """The outermost archived departments strictly below ``top``, loaded in one query.

    Everything inside their ranges is hidden from those who may not see archived items, and
    adds nothing to the totals of the departments above.
    """

    def __init__(self, top):
        table = connection_quote(Department._meta.db_table)
        rows = fetch_rows(
            f"SELECT lft, rght FROM {table} "
            "WHERE tree_id = %s AND lft > %s AND lft < %s AND NOT is_active ORDER BY lft",
            [top.tree_id, top.lft, top.rght],
            as_tuples=True,
        )
        self.ranges = []
        for lft, rght in rows:
            if self.ranges and lft < self.ranges[-1][1]:
                continue  # inside the previous one
            self.ranges.append((lft, rght))
        self.lfts = [lft for lft, _rght in self.ranges]

    def count_inside(self, node):
        """Return how many departments below ``node`` lie in archived ranges."""
        first = bisect_right(self.lfts, node.lft)
        last = bisect_right(self.lfts, node.rght)
        return sum((rght - lft + 1) // 2 for lft, rght in self.ranges[first:last])


def outermost_archived_below():
    """Return the archived departments strictly below the outer row with no archived
    department between: everything inside their ranges is hidden from those who may not see
    archived items. Outer references: ``tree_id``, ``lft``, ``rght`` of the row."""
    archived = Department._base_manager.filter(is_active=False)
    between = archived.filter(
        tree_id=OuterRef("tree_id"),
        lft__lt=OuterRef("lft"),
        rght__gt=OuterRef("rght"),
        lft__gt=OuterRef(OuterRef("lft")),
    )
    return archived.filter(
        tree_id=OuterRef("tree_id"), lft__gt=OuterRef("lft"), lft__lt=OuterRef("rght")
    ).exclude(Exists(between))


def descendants_shown(*, include_archived=False):
    """Return an expression: how many departments below a row the reader sees.

    All of them from the nested set, ``(rght - lft - 1) / 2``; for those who may not see
    archived items, less the outermost archived ranges below (a subquery over the few archived
    rows, which the partial index ``department_archived_range`` keeps small).
    """
    below = ExpressionWrapper((F("rght") - F("lft") - 1) / 2, output_field=IntegerField())
    if include_archived:
        return below
    hidden = (
        outermost_archived_below()
        .order_by()
        .values("tree_id")
        .annotate(hidden=Sum((F("rght") - F("lft") + 1) / 2))
        .values("hidden")[:1]
    )
    return ExpressionWrapper(
        below - Coalesce(Subquery(hidden, output_field=IntegerField()), 0),
        output_field=IntegerField(),
    )


def branch_role_totals(pks):
    """Return {pk: (own roles, roles in branch, seats, without headcount)} of departments.

    One query whatever the size, a look-up by key per department asked for: the database
    keeps each department's own and whole-branch totals in a row
    (roles.DepartmentRoleTotals, migration roles 0007), counted as load_tree() counts them:
    the active roles of the department and, while it is active, of its active children's
    branches (an archived department counts its own roles only, and nothing below it counts
    above it). A department without a row has no active role in its branch.
    """
    pks = list(pks)
    if not pks:
        return {}
    totals = connection_quote(totals_model()._meta.db_table)
    marks = ", ".join(["%s"] * len(pks))
    sql = (
        "SELECT department_id, roles, branch_roles, branch_seats, branch_seats_unknown "
        f"FROM {totals} WHERE department_id IN ({marks})"
    )
    with connections[Department._base_manager.db].cursor() as cursor:
        cursor.execute(sql, pks)
        rows = cursor.fetchall()
    # PostgreSQL's bigints may come back as any integer type: the cards count in ints.
    return {
        pk: (int(own), int(count), int(seats), int(unknown))
        for pk, own, count, seats, unknown in rows
    }


# Every department's own and branch totals, recounted from the roles and the parent links
# (as migration roles 0007 fills them; its bound on the depth keeps a cycle finite).
_RECOUNT_BRANCH_TOTALS = """
    WITH RECURSIVE own AS (
        SELECT department_id AS id, COUNT(*) AS n, COALESCE(SUM(headcount), 0) AS s,
               SUM(CASE WHEN headcount IS NULL THEN 1 ELSE 0 END) AS u
        FROM {roles} WHERE is_active GROUP BY department_id
    ), reach (top, id, depth) AS (
        SELECT id, id, 0 FROM {departments}
        UNION ALL
        SELECT r.top, c.id, r.depth + 1 FROM reach r
        JOIN {departments} t ON t.id = r.id
        JOIN {departments} c ON c.parent_id = r.id
        WHERE t.is_active AND c.is_active AND r.depth < 1000
    )
    INSERT INTO {totals} (department_id, roles, seats, seats_unknown, branch_roles,
                          branch_seats, branch_seats_unknown)
    SELECT r.top, SUM(CASE WHEN r.top = r.id THEN o.n ELSE 0 END),
           SUM(CASE WHEN r.top = r.id THEN o.s ELSE 0 END),
           SUM(CASE WHEN r.top = r.id THEN o.u ELSE 0 END),
           SUM(o.n), SUM(o.s), SUM(o.u)
    FROM reach r JOIN own o ON o.id = r.id
    GROUP BY r.top
    ORDER BY r.top
"""


def settle_branch_totals(using="default"):
    """Recount the kept role totals after a statement that rewrote ``parent_id`` together with
    the nested set (departments.services.department_bulk_write()), on SQLite only.

    SQLite's row triggers (migration roles 0007) read the nested set of the parents, which is
    in flux within such a statement; PostgreSQL's run once the statement is done and need
    nothing. Call it under the tree lock, after the statement.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    totals_table = totals_model()._meta.db_table
    roles_table = Department._meta.get_field("roles").related_model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(totals_table)}")
        cursor.execute(
            _RECOUNT_BRANCH_TOTALS.format(
                roles=quote(roles_table),
                departments=quote(Department._meta.db_table),
                totals=quote(totals_table),
            )
        )


def ancestors(department, *, include_self=False):
    """Return the departments above ``department`` (and it, with ``include_self``), root first.

    One query that follows the parent links, a key look-up per level. The nested set's
    ancestors (``lft < x AND rght > y``) have no bound an index can use on both sides: for a
    department far right in the tree PostgreSQL read every department to its left (10,000
    rows for a leaf at 10,000 departments). A root has no ancestors: no query, as django-mptt.
    """
    start = department.pk if include_self else department.parent_id
    if start is None:
        return []
    table = connection_quote(Department._meta.db_table)
    sql = f"""
        WITH RECURSIVE path AS (
            SELECT * FROM {table} WHERE id = %s
            UNION ALL
            SELECT d.* FROM {table} d JOIN path ON d.id = path.parent_id
        )
        SELECT * FROM path ORDER BY lft
    """
    return list(Department._base_manager.raw(sql, [start]))


def fetch_rows(sql, params, *, as_tuples=False):
    """Run ``sql`` and return its rows as dictionaries by column name (or tuples), with
    ``is_active`` a boolean on every database."""
    with connections[Department._base_manager.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if as_tuples:
            return rows
        names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in rows]
    for row in rows:
        if "is_active" in row:
            row["is_active"] = bool(row["is_active"])
    return rows


class RowItem:
    """An item a page shows (a role, a duty, a team), made of a row: what the page's template
    reads of the model instance, without the ORM, modeltranslation or prefetching.

    Translated texts (``title``) are the first non-empty column in the active language's
    fallback order, as the model's descriptor gives them; the language columns stay
    readable (``title_en``) for the text shown in the other language.
    """

    def __init__(self, row, texts, order, url=None):
        self.__dict__.update(row)
        self.pk = row["id"]
        for field in texts:
            names = (column(field, language) for language in order)
            self.__dict__[field] = next((row[name] for name in names if row[name]), "")
        self.url = url

    def get_absolute_url(self):
        return self.url


def connection_quote(name):
    return connections[Department._base_manager.db].ops.quote_name(name)
