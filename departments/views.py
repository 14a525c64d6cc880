"""Department pages, and what role pages share with them (archived pages, colours)."""

from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import DetailView

from departments.access import PortalReadMixin, ReadOutsideTransactionMixin, can_change
from departments.models import Department
from departments.tree import (
    ACCENTS,
    CARD_TEXTS,
    TREE_ROW_FIELDS,
    RowItem,
    ancestors,
    connection_quote,
    fetch_rows,
    node_factory,
    totals_model,
)
from orgportal.changes.pages import AsOfPageMixin
from orgportal.conditional import OrgConditionalMixin
from orgportal.i18n import CONTENT_LANGUAGES, column, fallback_order


def branch_accent(path):
    """Return the colour the chart gives the branch of ``path`` (root first) in one query.

    The root's children, archived ones included, take the colours in the order they were
    created, so a department keeps its colour when HR reorder or archive its siblings. Every
    department below one of them shares its colour, so pages match the chart.
    """
    if len(path) < 2:
        return 0
    branch = path[1]
    older = Department._base_manager.filter(parent_id=branch.parent_id, pk__lt=branch.pk)
    return older.count() % ACCENTS + 1


def last_visible(path):
    """Return the deepest department of ``path`` (root first) that staff see, or None.

    That is the last active one going down from the root: below an archived department
    nothing is shown.
    """
    visible = None
    for department in path:
        if not department.is_active:
            break
        visible = department
    return visible


class ArchivedPageMixin:
    """Answer an old link to an archived item with a page that says so, not a bare 404.

    The page says that the item was archived (or lies below an archived department) and links
    to the nearest department that is still shown; it shows nothing of the item itself. It
    still answers 404: the item is not there for this reader, and archived items may come
    back, which 410 Gone would deny. ``archived_item(code)`` returns the stored item behind
    the link, or None.
    """

    archived_template_name = "departments/archived.html"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            item = self.archived_item(kwargs[self.slug_url_kwarg])
            if item is None:
                raise
        # A role's way on may be its own department; a department's is above it.
        department = getattr(item, "department", item)
        way_on = last_visible(ancestors(department, include_self=department is not item))
        return TemplateResponse(
            request,
            self.archived_template_name,
            {
                "kind": self.model._meta.verbose_name,
                "archived_itself": not item.is_active,
                "way_on": way_on,
                "can_see_archived": self.can_see_archived(),
            },
            status=404,
        )

    def can_see_archived(self):
        return self.archived_model is not None and can_change(
            self.request.user, self.archived_model
        )


def way_back_url(path):
    """Return where "Hide archived" leads from an archived page: the nearest shown department
    of ``path`` (root first), or the chart."""
    department = last_visible(path)
    return department.get_absolute_url() if department else reverse("chart:home")


def group_by_area(items):
    """Group objects that have an ``area`` (such as duties) by area, in order of appearance."""
    groups = {}
    for item in items:
        groups.setdefault(item.area, []).append(item)
    return list(groups.items())


def planned_once(sql):
    """Return ``sql``, which PostgreSQL then plans once per connection (a prepared statement,
    see orgportal.postgresql): for a page's statements whose plan is the same for every
    department, as a look-up by code or by key is. Planning them took longer than running
    them. Nothing changes on SQLite."""
    from orgportal.postgresql.base import prepared

    return prepared(sql, Department._base_manager.db)


# The texts a department page shows of its department (and reads of its ancestors and children).
PAGE_TEXTS = ("name", "tagline", "positioning", "description")


def page_departments(code, *, include_archived=False):
    """Return the department ``code`` with its ancestors as a department page shows them, root
    first, and its node (departments.tree.TreeNode: its direct children and the branch totals
    of each, its accent); ``([], None)`` when no department has that code.

    One query, written out: the department by its code with its ancestors (the parent links
    followed up, as departments.tree.ancestors()), its direct children (archived ones with
    ``include_archived``), the role totals the database keeps for each (as load_branch()), and
    the age among its siblings of the department just below the root, which gives the branch
    its colour (as branch_accent()). Departments are RowItems of their rows, not instances:
    their texts the first non-empty language column in the fallback order, as the model's
    descriptors give them. Six queries before; the ORM's compiling cost more than running them.
    """
    order = fallback_order()
    quote = connection_quote
    table = quote(Department._meta.db_table)
    totals = quote(totals_model()._meta.db_table)
    # Every language of the name: the page shows it in the other one beside it.
    texts = [column("name", language) for language in CONTENT_LANGUAGES]
    texts += [column(field, language) for field in PAGE_TEXTS[1:] for language in order]
    names = [*(name for name in TREE_ROW_FIELDS if name != "pk"), *texts]

    def select(alias):
        return ", ".join(f"{alias}.{quote(name)}" for name in ["id", *names])

    active = "" if include_archived else "AND c.is_active"
    # The totals joined in each part, where PostgreSQL knows how few rows it joins them to
    # (after the recursive part it guessed a hundred and read every department's totals).
    kept = "t.roles, t.branch_roles, t.branch_seats, t.branch_seats_unknown"
    sql = f"""
        WITH RECURSIVE path AS (
            SELECT {select("p")}, {kept}, 0 AS kind FROM {table} p
            LEFT JOIN {totals} t ON t.department_id = p.id
            WHERE p.code = %s
            UNION ALL
            SELECT {select("p")}, {kept}, 0 FROM {table} p
            JOIN path ON p.id = path.parent_id
            LEFT JOIN {totals} t ON t.department_id = p.id
        ), shown AS (
            SELECT * FROM path
            UNION ALL
            SELECT {select("c")}, {kept}, 1 FROM {table} c
            LEFT JOIN {totals} t ON t.department_id = c.id
            WHERE c.parent_id = (SELECT id FROM {table} WHERE code = %s) {active}
        )
        SELECT s.*, CASE WHEN s.level = 1 THEN (
            SELECT COUNT(*) FROM {table} o WHERE o.parent_id = s.parent_id AND o.id < s.id
        ) END AS older
        FROM shown s
        ORDER BY s.kind, s.lft
    """
    rows = fetch_rows(planned_once(sql), [code, code])
    if not rows:
        return [], None
    url = reverse("departments:detail", kwargs={"code": "__code__"})
    path = []
    children = []
    for row in rows:
        row["pk"] = row["id"]
        (children if row["kind"] else path).append(row)
    # The root's children take colours by age, archived ones included; every department
    # below one of them shares its colour.
    accent = (path[1]["older"] or 0) % ACCENTS + 1 if len(path) > 1 else 0
    make = node_factory(CARD_TEXTS)
    top = make(path[-1])
    top.accent = accent
    for row in children:
        node = make(row)
        node.accent = accent or (row["older"] or 0) % ACCENTS + 1
        top.children.append(node)
    for node, row in zip((top, *top.children), (path[-1], *children), strict=True):
        node.role_count = int(row["roles"] or 0)
        node.add_totals(
            (
                int(row["branch_roles"] or 0),
                int(row["branch_seats"] or 0),
                int(row["branch_seats_unknown"] or 0),
            )
        )
    departments = [
        RowItem(row, PAGE_TEXTS, order, url.replace("__code__", row["code"])) for row in path
    ]
    return departments, top


def role_cards(department, *, include_archived=False):
    """Return the roles of ``department`` as the page shows them (RowItem), in their order,
    each with ``duty_groups`` and ``duty_count``; archived roles with ``include_archived``.

    One query, as the ORM's roles with their duties prefetched, written out: the roles, each
    joined with its duties in their order. Compiling the ORM's, and building a model instance
    per role and duty, cost more than running them. ``department`` is a Department or a RowItem.
    """
    # Through the relation: departments know nothing of roles.
    role_model = Department._meta.get_field("roles").related_model
    duty_model = role_model._meta.get_field("duties").related_model
    order = fallback_order()
    quote = connection_quote
    role_texts = [
        column(field, language) for field in ("title", "summary") for language in CONTENT_LANGUAGES
    ]
    duty_texts = [column(field, language) for field in ("area", "text") for language in order]
    active = "" if include_archived else "AND r.is_active"
    rows = fetch_rows(
        planned_once(
            f"SELECT r.id, r.code, r.headcount, r.is_active, "
            f"{', '.join(f'r.{quote(name)}' for name in role_texts)}, d.id AS duty_id, "
            f"{', '.join(f'd.{quote(name)}' for name in duty_texts)} "
            f"FROM {quote(role_model._meta.db_table)} r "
            f"LEFT JOIN {quote(duty_model._meta.db_table)} d ON d.role_id = r.id "
            f"WHERE r.department_id = %s {active} ORDER BY r.sort_order, r.id, d.sort_order, d.id"
        ),
        [department.pk],
    )
    url = reverse("roles:detail", kwargs={"code": "__code__"})
    roles = []
    duties = {}
    for row in rows:
        if not roles or roles[-1].pk != row["id"]:
            role = {name: row[name] for name in ("id", "code", "headcount", "is_active")}
            role.update((name, row[name]) for name in role_texts)
            roles.append(
                RowItem(role, ("title", "summary"), order, url.replace("__code__", row["code"]))
            )
            duties[row["id"]] = []
        if row["duty_id"] is not None:
            duty = {"id": row["duty_id"], "role_id": row["id"]}
            duty.update((name, row[name]) for name in duty_texts)
            duties[row["id"]].append(RowItem(duty, ("area", "text"), order))
    for role in roles:
        role.duty_groups = group_by_area(duties[role.pk])
        role.duty_count = len(duties[role.pk])
    return roles


class DepartmentDetailView(
    ReadOutsideTransactionMixin,
    OrgConditionalMixin,
    AsOfPageMixin,
    ArchivedPageMixin,
    PortalReadMixin,
    DetailView,
):
    """Show a department: its place in the tree, sub-departments, roles and their duties;
    with ``?as_of=``, as it stood then (orgportal.changes.pages)."""

    as_of_page = "department_as_of"

    model = Department
    archived_model = Department
    slug_field = slug_url_kwarg = "code"
    context_object_name = "department"
    template_name = "departments/department_detail.html"

    def get_object(self, queryset=None):
        # The page's department, its path and its node in one query (page_departments()),
        # checked here for what the reader may see: a department below an archived one is as
        # hidden as the archived one itself. (Department.objects.visible() compiled a nested
        # subquery on every page, which took longer than the query.)
        path, self.node = page_departments(
            self.kwargs[self.slug_url_kwarg], include_archived=self.show_archived
        )
        if not path:
            raise Http404("No department found matching the query")
        department = path[-1]
        self.path = path[:-1]
        if not self.show_archived and last_visible(path) != department:
            self.hidden_department = department
            raise Http404("No department found matching the query")
        return department

    def archived_item(self, code):
        hidden = getattr(self, "hidden_department", None)
        if hidden is not None:
            return hidden
        return Department._base_manager.filter(code=code).first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        department = self.object
        path = self.path
        roles = role_cards(department, include_archived=self.show_archived)
        context.update(
            ancestors=path,
            # Without ?archived=1 an archived department is gone: hiding them leads above it.
            hide_archived_url=None
            if last_visible([*path, department]) == department
            else way_back_url(path),
            node=self.node,
            roles=roles,
            duty_count=sum(role.duty_count for role in roles),
            can_edit=can_change(self.request.user, Department),
        )
        return context
