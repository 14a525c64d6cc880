"""Department pages, and what role pages share with them (archived pages, colours)."""

from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import DetailView

from departments.access import PortalReadMixin, ReadOutsideTransactionMixin, can_change
from departments.models import Department
from departments.tree import (
    ACCENTS,
    RowItem,
    ancestors,
    connection_quote,
    fetch_rows,
    load_branch,
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


def role_cards(department, *, include_archived=False):
    """Return the roles of ``department`` as the page shows them (RowItem), in their order,
    each with ``duty_groups`` and ``duty_count``; archived roles with ``include_archived``.

    Two queries, as the ORM's roles with their duties prefetched (none for the duties of a
    department without roles), written out: compiling them, and building a model instance
    per role and duty, cost more than running them.
    """
    # Through the relation: departments know nothing of roles.
    role_model = department.roles.model
    duty_model = role_model._meta.get_field("duties").related_model
    order = fallback_order()
    quote = connection_quote
    titles = ", ".join(
        quote(column(field, language))
        for field in ("title", "summary")
        for language in CONTENT_LANGUAGES
    )
    active = "" if include_archived else "AND is_active"
    rows = fetch_rows(
        f"SELECT id, code, headcount, is_active, {titles} FROM {quote(role_model._meta.db_table)} "
        f"WHERE department_id = %s {active} ORDER BY sort_order, id",
        [department.pk],
    )
    url = reverse("roles:detail", kwargs={"code": "__code__"})
    roles = [
        RowItem(row, ("title", "summary"), order, url.replace("__code__", row["code"]))
        for row in rows
    ]
    if not roles:
        return roles
    texts = ", ".join(
        quote(column(field, language)) for field in ("area", "text") for language in order
    )
    marks = ", ".join(["%s"] * len(roles))
    duties = {}
    for row in fetch_rows(
        f"SELECT id, role_id, {texts} FROM {quote(duty_model._meta.db_table)} "
        f"WHERE role_id IN ({marks}) ORDER BY role_id, sort_order, id",
        [role.pk for role in roles],
    ):
        duties.setdefault(row["role_id"], []).append(RowItem(row, ("area", "text"), order))
    for role in roles:
        role.duty_groups = group_by_area(duties.get(role.pk, ()))
        role.duty_count = len(duties.get(role.pk, ()))
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
        department = super().get_object(queryset)
        # The page's path, checked here for what the reader may see: a department below an
        # archived one is as hidden as the archived one itself. (Department.objects.visible()
        # compiled a nested subquery on every page, which took longer than the query.)
        self.path = ancestors(department)
        if not self.show_archived and last_visible([*self.path, department]) != department:
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
        # The department and its direct children with their branch totals: a department
        # with thousands below costs about what a leaf does.
        node = load_branch(
            department,
            include_archived=self.show_archived,
            accent=branch_accent([*path, department]),
        )
        roles = role_cards(department, include_archived=self.show_archived)
        context.update(
            ancestors=path,
            # Without ?archived=1 an archived department is gone: hiding them leads above it.
            hide_archived_url=None
            if last_visible([*path, department]) == department
            else way_back_url(path),
            node=node,
            roles=roles,
            duty_count=sum(role.duty_count for role in roles),
            can_edit=can_change(self.request.user, Department),
        )
        return context
