"""The search page: departments, roles, duties and project teams whose texts contain every term.

Every language's column is searched, so "budget" finds the budgeting duties, and so do 预算 and
預算; results show the texts in the reader's language, and a text of another language where
only that one holds a term.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

from django import forms
from django.db.models import Case, Q, When
from django.http import JsonResponse
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from departments.access import PortalReadMixin, ReadOutsideTransactionMixin
from departments.models import Department, subtree_q
from departments.tree import text_columns
from orgportal.guide.content import search_guide
from orgportal.i18n import (
    CONTENT_LANGUAGES,
    LANG_ATTRIBUTES,
    column,
    columns,
    content_language,
    fallback_order,
    localized,
)
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember, visible_members

SEARCH_LIMIT = 100
QUERY_MAX_LENGTH = 100
# A phrase in straight or Chinese double quotes, or a word between spaces.
TERM = re.compile(r'"([^"]+)"|“([^”]+)”|(\S+)')
QUOTES = '"“”'


def search_terms(query):
    """Split a query into the terms that a result must all contain, in any order.

    Words are split at spaces (also the ideographic space); a phrase in double quotes, straight
    or Chinese, is one term as typed, spaces included. Repeated terms count once.
    """
    terms = []
    for phrase, chinese_phrase, word in TERM.findall(query):
        term = phrase or chinese_phrase or word.strip(QUOTES)
        if term.strip() and term.casefold() not in {known.casefold() for known in terms}:
            terms.append(term)
    return terms


def matching(terms, fields):
    """Return a Q for rows where every term is in at least one of ``fields``."""
    condition = Q()
    for term in terms:
        in_any_field = Q()
        for name in fields:
            in_any_field |= Q(**{f"{name}__icontains": term})
        condition &= in_any_field
    return condition


def first_matches(queryset, limit, *, fields=None):
    """Return up to ``limit`` rows of ``queryset`` in its order, limited before ordering.

    The database stops at the first ``limit`` matches in whatever order it finds them (through
    the trigram indexes on PostgreSQL) and orders only those: a broad term never sorts every
    matching duty of the organisation to show a hundred of them. With ``fields``, the rows
    are ``values()`` of those fields rather than model instances.
    """
    first = queryset.order_by().values("pk")[:limit]
    rows = queryset.model.objects.filter(pk__in=first).order_by(*queryset.query.order_by)
    if fields is not None:
        return rows.values(*fields)
    related = queryset.query.select_related
    return rows.select_related(*_paths(related)) if isinstance(related, dict) else rows


def _paths(tree, prefix=""):
    """Return the select_related() paths of a query's select_related tree."""
    paths = []
    for name, below in tree.items():
        paths.extend(_paths(below, f"{prefix}{name}__") if below else [f"{prefix}{name}"])
    return paths


def highlight(text, terms):
    """Return ``text`` escaped, with every case-insensitive match of a term in <mark>."""
    if not terms:
        return escape(text)
    parts = []
    last = 0
    for match in _term_pattern(tuple(terms)).finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    # Every piece was escaped above, so the joined text is safe.
    return mark_safe("".join(parts))


@lru_cache(maxsize=64)
def _term_pattern(terms):
    """Return the pattern of ``terms``, compiled once for all the texts of a page."""
    # Longer terms first, so that a term inside another does not split its mark.
    pattern = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(pattern, flags=re.IGNORECASE)


def contains(text, terms):
    """Return whether ``text`` contains any of the terms, ignoring case."""
    folded = text.casefold()
    return any(term.casefold() in folded for term in terms)


@dataclass
class OtherText:
    """A text of a language the page is not in, shown because it holds a term: its HTML and
    its ``lang`` attribute."""

    html: str
    lang: str


@dataclass
class SearchHit:
    """One search result: what to show, already highlighted, and where it leads.

    ``subtitle`` is the text in the other language (English beside Chinese, the original
    Chinese beside English) with its ``subtitle_lang``; ``other_texts`` are texts of other
    languages that hold a term which the texts shown do not.
    """

    url: str
    title: str
    subtitle: str = ""
    subtitle_lang: str = ""
    context: list = field(default_factory=list)
    area: str = ""
    text: str = ""
    other_texts: list = field(default_factory=list)
    is_archived: bool = False


@dataclass
class SearchGroup:
    kind: str
    label: str
    hits: list
    more: bool


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"),
        max_length=QUERY_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _("Search terms are at most %(limit_value)d characters long.")
        },
    )
    # A type-ahead (static/js/portal.js fills its list from search:departments), not a list of
    # every department: it takes a department's code or its name in any language.
    department = forms.CharField(
        label=_("Within department"), required=False, max_length=200, strip=True
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = departments

    def clean_department(self):
        value = self.cleaned_data["department"]
        if not value:
            return None
        department = find_department(self.departments, value)
        if department is None:
            raise forms.ValidationError(
                _("No department has the code or name “%(value)s”."), params={"value": value}
            )
        return department


class SearchView(ReadOutsideTransactionMixin, PortalReadMixin, TemplateView):
    """Find departments, roles and duties whose texts contain every term of the query."""

    archived_model = Department
    template_name = "orgportal/search/search_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SearchForm(self.request.GET or None, departments=self.departments())
        groups = []
        query = ""
        terms = []
        if form.is_valid():
            query = form.cleaned_data["q"]
            terms = search_terms(query)
            if terms:
                groups = self.search(terms, within=form.cleaned_data["department"])
        context.update(
            form=form,
            query=query,
            terms=terms,
            groups=groups,
            total=sum(len(group.hits) for group in groups),
        )
        return context

    def departments(self):
        """Return the departments this reader may search within."""
        departments = Department.objects.all()
        return departments if self.show_archived else departments.visible()

    def search(self, terms, *, within):
        """Return the groups of departments, roles and duties that contain every term."""
        # A role's URL, reversed once for all the duties' hits.
        self.role_url = reverse("roles:detail", kwargs={"code": "__code__"})
        departments = Department.objects.filter(
            matching(terms, columns(*DEPARTMENT_FIELDS))
        ).order_by("tree_id", "lft")
        roles = (
            Role.objects.filter(matching(terms, columns(*ROLE_FIELDS)))
            .select_related("department")
            .order_by("department__tree_id", "department__lft", "sort_order", "pk")
        )
        duties = Duty.objects.filter(matching(terms, columns(*DUTY_FIELDS))).in_org_order()
        if not self.show_archived:
            departments = departments.visible()
            roles = roles.visible()
            duties = duties.visible()
        if within is not None:
            departments = departments.descendants_of(within, include_self=True)
            roles = roles.under(within)
            duties = duties.filter(subtree_q(within, "role__department__"))
        teams, self.team_matches = self.search_teams(terms, within=within)
        found = [
            ("departments", _("Departments"), departments, self.department_hit),
            ("roles", _("Roles"), roles, self.role_hit),
            ("duties", _("Duties"), duties, self.duty_hit),
            ("teams", _("Project teams"), teams, self.team_hit),
        ]
        groups = []
        for kind, label, queryset, make_hit in found:
            if isinstance(queryset, list):
                rows = queryset
            else:
                # Duties, the many, come as rows of the columns shown: no model instances.
                fields = duty_row_fields() if kind == "duties" else None
                rows = list(first_matches(queryset, SEARCH_LIMIT + 1, fields=fields))
            if rows:
                hits = [make_hit(row, terms) for row in rows[:SEARCH_LIMIT]]
                groups.append(SearchGroup(kind, label, hits, more=len(rows) > SEARCH_LIMIT))
        # The structure guide is the company's, not a department's: only in a whole search.
        guide = [guide_hit(match, terms) for match in search_guide(terms)] if within is None else []
        if guide:
            groups.append(SearchGroup("guide", _("Structure guide"), guide, more=False))
        return groups

    def search_teams(self, terms, *, within):
        """Return the project teams whose name, purpose or members' responsibilities hold
        every term, and the members whose responsibility holds one (one query, and one more
        for the members when a team is found)."""
        # A hidden role's membership matches nothing, as it is not shown.
        members = TeamMember.objects.all() if self.show_archived else visible_members()
        condition = Q()
        for term in terms:
            in_member = members.filter(matching([term], columns(*MEMBER_FIELDS)))
            condition &= matching([term], columns(*TEAM_FIELDS)) | Q(
                pk__in=in_member.values("team_id")
            )
        teams = ProjectTeam.objects.filter(condition).order_by("code")
        if not self.show_archived:
            teams = teams.visible()
        if within is not None:
            teams = teams.drawing_on(within, members)
        found = list(teams[: SEARCH_LIMIT + 1])
        matches = {}
        if not found:
            return found, matches
        # The teams found, by key: their query is not compiled and run a second time.
        members = TeamMember.objects.filter(
            matching_any(terms, columns(*MEMBER_FIELDS)), team_id__in=[team.pk for team in found]
        ).select_related("role")
        if not self.show_archived:
            members = members.filter(role__in=Role.objects.visible())
        for member in members.order_by("sort_order", "pk"):
            matches.setdefault(member.team_id, []).append(member)
        return found, matches

    def team_hit(self, team, terms):
        context = [highlight(team.purpose, terms)] if contains(team.purpose, terms) else []
        context += [
            format_html("{}: {}", member.role.title, highlight(member.responsibility, terms))
            for member in self.team_matches.get(team.pk, [])
            if contains(member.responsibility, terms)
        ]
        alt, alt_lang = other_language(team, "name")
        return SearchHit(
            url=with_archived(team.get_absolute_url(), self.show_archived),
            title=highlight(team.name, terms),
            subtitle=highlight(alt, terms),
            subtitle_lang=alt_lang,
            context=context or ([escape(team.purpose)] if team.purpose else []),
            other_texts=other_texts(team, TEAM_FIELDS, terms, [team.name, alt, team.purpose]),
            is_archived=not team.is_active or team.status == ProjectTeam.Status.CLOSED,
        )

    def department_hit(self, department, terms):
        context = [
            highlight(text, terms)
            for text in (department.tagline, department.positioning)
            if text and contains(text, terms)
        ]
        alt, alt_lang = other_language(department, "name")
        shown = [department.name, alt, department.tagline, department.positioning]
        return SearchHit(
            url=with_archived(department.get_absolute_url(), self.show_archived),
            title=highlight(department.name, terms),
            subtitle=highlight(alt, terms),
            subtitle_lang=alt_lang,
            context=context or ([escape(department.tagline)] if department.tagline else []),
            other_texts=other_texts(department, DEPARTMENT_FIELDS, terms, shown),
            is_archived=not department.is_active,
        )

    def role_hit(self, role, terms):
        alt, alt_lang = other_language(role, "title")
        return SearchHit(
            url=with_archived(role.get_absolute_url(), self.show_archived),
            title=highlight(role.title, terms),
            subtitle=highlight(alt, terms),
            subtitle_lang=alt_lang,
            context=[escape(role.department.name)],
            other_texts=other_texts(role, ROLE_FIELDS, terms, [role.title, alt]),
            is_archived=not (role.is_active and role.department.is_active),
        )

    def duty_hit(self, row, terms):
        """Return the hit of a duty's row (see duty_row_fields())."""
        area = localized(row, "area")
        text = localized(row, "text")
        url = self.role_url.replace("__code__", row["role__code"])
        return SearchHit(
            url=with_archived(url, self.show_archived) + f"#duty-{row['pk']}",
            title=escape(localized(row, "role__title")),
            context=[escape(localized(row, "role__department__name"))],
            area=highlight(area, terms),
            text=highlight(text, terms),
            other_texts=other_texts(SimpleNamespace(**row), DUTY_FIELDS, terms, [area, text]),
            is_archived=not (row["role__is_active"] and row["role__department__is_active"]),
        )


def find_department(departments, value):
    """Return the department of ``departments`` coded ``value``, or else named so (in any
    language; the first in tree order), or None. One query."""
    by_name = Q()
    for name in columns("name"):
        by_name |= Q(**{f"{name}__iexact": value})
    return (
        departments.filter(Q(code=value) | by_name)
        .annotate(is_code=Case(When(code=value, then=0), default=1))
        .order_by("is_code", "tree_id", "lft")
        .first()
    )


TYPEAHEAD_LIMIT = 20


class DepartmentTypeaheadView(ReadOutsideTransactionMixin, PortalReadMixin, View):
    """The departments whose name (in any language) or code contains what was typed, as JSON.

    At most TYPEAHEAD_LIMIT, in tree order, each with its code and name in the reader's
    language; the search form's department field offers them as the reader types.
    """

    archived_model = Department

    def get(self, request):
        typed = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
        departments = Department.objects.all()
        if not self.show_archived:
            departments = departments.visible()
        found = []
        if typed:
            condition = Q(code__icontains=typed)
            for name in columns("name"):
                condition |= Q(**{f"{name}__icontains": typed})
            order = fallback_order()
            rows = first_matches(
                departments.filter(condition).order_by("tree_id", "lft"), TYPEAHEAD_LIMIT
            ).values("code", *text_columns(["name"]))
            found = [
                {"code": row["code"], "name": localized(row, "name", order[0])} for row in rows
            ]
        return JsonResponse({"departments": found})


# The texts search looks through, in every language's column.
DEPARTMENT_FIELDS = ("name", "tagline", "positioning")
ROLE_FIELDS = ("title",)
DUTY_FIELDS = ("text", "area")
TEAM_FIELDS = ("name", "purpose")
MEMBER_FIELDS = ("responsibility",)


def matching_any(terms, fields):
    """Return a Q for rows where at least one term is in one of ``fields``."""
    condition = Q()
    for term in terms:
        condition |= matching([term], fields)
    return condition


def other_language(obj, field_name):
    """Return the text and lang attribute to show beside ``field_name`` of ``obj``, if any.

    Beside English that is the original simplified Chinese, beside Chinese the English.
    """
    other = "zh-hans" if content_language() == "en" else "en"
    text = getattr(obj, column(field_name, other)) or ""
    if not text or text == getattr(obj, field_name):
        return "", ""
    return text, LANG_ATTRIBUTES[other]


def other_texts(obj, fields, terms, shown):
    """Return the texts of other languages that hold a term that the ``shown`` texts lack.

    A search for 預算 on the English page finds a duty through its traditional text; that
    text is then shown too, highlighted, so that the reader sees why it was found.
    """
    missing = [term for term in terms if not any(text and contains(text, [term]) for text in shown)]
    found = []
    for name in fields:
        for language in CONTENT_LANGUAGES:
            if not missing:
                return found
            text = getattr(obj, column(name, language)) or ""
            if text and text not in shown and contains(text, missing):
                found.append(OtherText(highlight(text, terms), LANG_ATTRIBUTES[language]))
                shown = [*shown, text]
                missing = [term for term in missing if not contains(text, [term])]
    return found


def guide_hit(match, terms):
    """Return the search hit of a heading or passage of the structure guide, at its anchor."""
    return SearchHit(
        url=f"{reverse('guide:guide')}#{match.anchor}",
        title=highlight(match.text, terms),
        context=[escape(match.context)],
        other_texts=[
            OtherText(highlight(text, terms), LANG_ATTRIBUTES[language])
            for text, language in match.other_texts
        ],
    )


def duty_row_fields():
    """Return the fields of a duty's search hit: its texts, its role's and department's."""
    return [
        "pk",
        *columns(*DUTY_FIELDS),
        "role__code",
        "role__is_active",
        *(f"role__{name}" for name in columns("title")),
        "role__department__is_active",
        *(f"role__department__{name}" for name in columns("name")),
    ]


def with_archived(url, show_archived):
    return f"{url}?archived=1" if show_archived else url
