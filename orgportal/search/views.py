"""The search page: departments, roles and duties whose texts contain the query."""

import re
from dataclasses import dataclass, field

from django import forms
from django.db.models import Q
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from departments.access import PortalReadMixin
from departments.models import Department, subtree_q
from roles.models import Duty, Role

SEARCH_LIMIT = 100


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
    template_name = "orgportal/search/search_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        departments = Department.objects.only(
            "code", "name", "name_en", "is_active", "tree_id", "lft", "rght", "level"
        ).order_by("tree_id", "lft")
        if not self.show_archived:
            departments = departments.visible()
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
            departments = departments.visible()
            roles = roles.visible()
            duties = duties.visible()
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
