"""Pages that span departments and roles: the org chart and search."""

import re
from dataclasses import dataclass, field

from django import forms
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from departments.access import PortalReadMixin
from departments.models import Department, subtree_q
from departments.views import OrgNode, org_tree
from orgportal.cache import org_cached
from roles.models import Duty, Role

# Up to this many departments the chart opens fully; above it only the first level shows.
OPEN_ALL_UP_TO = 30
SEARCH_LIMIT = 100


class OrgChartView(PortalReadMixin, TemplateView):
    """Draw the organisation from its root, as a chart or as an outline."""

    archived_model = Department
    template_name = "orgportal/org_chart.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        view = "outline" if self.request.GET.get("view") == "outline" else "chart"
        focus_code = self.request.GET.get("focus", "")
        archived = int(self.show_archived)
        # Loading the tree is cheap, drawing it is not: both are cached until the organisation
        # next changes (see orgportal.cache). Only known codes make drawings of their own, so
        # no visitor can fill the cache with made-up ones.
        root = org_cached(
            f"org-tree:{archived}",
            lambda: org_tree(Department.objects.all(), include_archived=self.show_archived),
            per_language=False,
        )
        path = root.path_to(focus_code) if root is not None and focus_code else []
        focus_key = path[-1].department.code if path else ""
        chart = org_cached(
            f"org-chart:{view}:{archived}:{focus_key}",
            lambda: self.draw_chart(root, path, view, context["archived_query"]),
        )
        context.update(chart, view=view, focus_code=focus_code, focused=bool(path))
        return context

    def draw_chart(self, root, path, view, archived_query):
        """Return the chart's summary and its tree drawn as HTML, the ``path`` opened."""
        if root is None:
            return {"root": None}
        open_all = root.descendant_count <= OPEN_ALL_UP_TO
        for node in root.walk():
            node.is_open = open_all or node is root
        for node in path:
            node.is_open = True
        if path:
            path[-1].is_focused = True
        template = (
            "orgportal/outline_node.html" if view == "outline" else "orgportal/chart_node.html"
        )
        tree_html = render_to_string(
            template,
            {"node": root, "is_root": True, "archived_query": archived_query},
        )
        summary = OrgNode(
            department=root.department,
            role_count=root.role_count,
            headcount=root.headcount,
            descendant_count=root.descendant_count,
        )
        return {
            "root": summary,
            "role_total": sum(node.role_count for node in root.walk()),
            "tree_html": tree_html,
        }


def highlight(text, query):
    """Return ``text`` escaped, with every case-insensitive match of ``query`` in <mark>."""
    if not query:
        return escape(text)
    parts = []
    last = 0
    for match in re.finditer(re.escape(query), text, flags=re.IGNORECASE):
        parts.append(escape(text[last : match.start()]))
        parts.append(format_html("<mark>{}</mark>", match.group()))
        last = match.end()
    parts.append(escape(text[last:]))
    # Every piece was escaped above, so the joined text is safe.
    return mark_safe("".join(parts))


def contains(text, query):
    return query.casefold() in text.casefold()


@dataclass
class SearchHit:
    """One search result: what to show, already highlighted, and where it leads."""

    url: str
    title: str
    subtitle: str = ""
    context: list = field(default_factory=list)
    area: str = ""
    text: str = ""
    is_archived: bool = False


@dataclass
class SearchGroup:
    kind: str
    label: str
    hits: list
    more: bool


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search for"), max_length=100, required=False)
    department = forms.ChoiceField(label=_("Within department"), required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = {department.code: department for department in departments}
        self.fields["department"].choices = [("", _("The whole organisation"))] + [
            (department.code, "\u2003" * department.level + department.display_name)
            for department in departments
        ]

    def clean_department(self):
        code = self.cleaned_data["department"]
        return self.departments.get(code) if code else None


class SearchView(PortalReadMixin, TemplateView):
    """Find departments, roles and duties whose texts contain the query."""

    archived_model = Department
    template_name = "orgportal/search_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        departments = Department.objects.only(
            "code", "name", "name_en", "is_active", "tree_id", "lft", "rght", "level"
        ).order_by("tree_id", "lft")
        if not self.show_archived:
            departments = departments.filter(is_active=True)
        form = SearchForm(self.request.GET or None, departments=list(departments))
        groups = []
        query = ""
        if form.is_valid():
            query = form.cleaned_data["q"]
            if query:
                groups = self.search(query, within=form.cleaned_data["department"])
        context.update(
            form=form,
            query=query,
            groups=groups,
            total=sum(len(group.hits) for group in groups),
        )
        return context

    def search(self, query, *, within):
        departments = Department.objects.filter(
            Q(name__icontains=query)
            | Q(name_en__icontains=query)
            | Q(tagline__icontains=query)
            | Q(positioning__icontains=query)
        ).order_by("tree_id", "lft")
        roles = (
            Role.objects.filter(Q(title__icontains=query) | Q(title_en__icontains=query))
            .select_related("department")
            .order_by("department__tree_id", "department__lft", "sort_order", "pk")
        )
        duties = (
            Duty.objects.filter(Q(text__icontains=query) | Q(area__icontains=query))
            .select_related("role__department")
            .in_org_order()
        )
        if not self.show_archived:
            departments = departments.filter(is_active=True)
            roles = roles.filter(is_active=True, department__is_active=True)
            duties = duties.filter(role__is_active=True, role__department__is_active=True)
        if within is not None:
            departments = departments.descendants_of(within, include_self=True)
            roles = roles.under(within)
            duties = duties.filter(subtree_q(within, "role__department__"))
        found = [
            ("departments", _("Departments"), departments, self.department_hit),
            ("roles", _("Roles"), roles, self.role_hit),
            ("duties", _("Duties"), duties, self.duty_hit),
        ]
        groups = []
        for kind, label, queryset, make_hit in found:
            rows = list(queryset[: SEARCH_LIMIT + 1])
            if rows:
                hits = [make_hit(row, query) for row in rows[:SEARCH_LIMIT]]
                groups.append(SearchGroup(kind, label, hits, more=len(rows) > SEARCH_LIMIT))
        return groups

    def department_hit(self, department, query):
        context = [
            highlight(text, query)
            for text in (department.tagline, department.positioning)
            if text and contains(text, query)
        ]
        return SearchHit(
            url=with_archived(department.get_absolute_url(), self.show_archived),
            title=highlight(department.display_name, query),
            subtitle=highlight(
                other_name(department.display_name, department.name, department.name_en), query
            ),
            context=context or ([escape(department.tagline)] if department.tagline else []),
            is_archived=not department.is_active,
        )

    def role_hit(self, role, query):
        return SearchHit(
            url=with_archived(role.get_absolute_url(), self.show_archived),
            title=highlight(role.display_title, query),
            subtitle=highlight(other_name(role.display_title, role.title, role.title_en), query),
            context=[escape(role.department.display_name)],
            is_archived=not (role.is_active and role.department.is_active),
        )

    def duty_hit(self, duty, query):
        role = duty.role
        return SearchHit(
            url=with_archived(role.get_absolute_url(), self.show_archived) + f"#duty-{duty.pk}",
            title=escape(role.display_title),
            context=[escape(role.department.display_name)],
            area=highlight(duty.area, query),
            text=highlight(duty.text, query),
            is_archived=not (role.is_active and role.department.is_active),
        )


def other_name(shown, name, name_en):
    """Return the name in the other language, if there is one that differs from ``shown``."""
    other = name if shown != name else name_en
    return other if other and other != shown else ""


def with_archived(url, show_archived):
    return f"{url}?archived=1" if show_archived else url
