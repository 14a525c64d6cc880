"""Query filters of the role and duty API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.api.filters import (
    CodeFilter,
    StrictBooleanFilter,
    filter_active,
    readable,
    readable_departments,
    search_q,
)
from departments.models import subtree_q
from orgportal.i18n import columns
from roles.models import Duty, Role


def readable_roles(request):
    return readable(Role, request)


class RoleFilter(django_filters.FilterSet):
    department = CodeFilter(
        queryset=readable_departments,
        help_text=_("Only the roles of the department with this code (not of those below it)."),
    )
    under = CodeFilter(
        queryset=readable_departments,
        method="filter_under",
        help_text=_("The roles of the department with this code and of every department below it."),
    )
    active = StrictBooleanFilter(
        method=filter_active,
        help_text=_(
            "true: only active roles of visible departments; false: the others (archived, or "
            "in an archived department or below one)."
        ),
    )
    reports_to = CodeFilter(
        queryset=readable_roles, help_text=_("Only the roles that report to this role.")
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text=_(
            "Substring of the code, title or summary, or of a duty's text or area, in any language."
        ),
    )
    ordering = django_filters.OrderingFilter(
        fields=("code", "title", "title_en", "headcount", "sort_order", "created_at", "updated_at"),
        help_text=_(
            "Sort by these fields (comma-separated, - for descending). Default: tree order."
        ),
    )

    class Meta:
        model = Role
        fields = ["department", "under", "active", "reports_to", "search", "ordering"]

    def filter_under(self, queryset, name, value):
        return queryset.under(value)

    def filter_search(self, queryset, name, value):
        duties = Duty.objects.filter(search_q(value, columns("text", "area"))).values("role_id")
        fields = ("code", *columns("title", "summary"))
        return queryset.filter(search_q(value, fields) | Q(pk__in=duties))


class DutyFilter(django_filters.FilterSet):
    role = CodeFilter(queryset=readable_roles, help_text=_("Only the duties of this role."))
    department = CodeFilter(
        queryset=readable_departments,
        field_name="role__department",
        help_text=_("Only the duties of the roles of the department with this code."),
    )
    under = CodeFilter(
        queryset=readable_departments,
        method="filter_under",
        help_text=_("The duties of every role in the department with this code or below it."),
    )
    area = django_filters.CharFilter(
        method="filter_area",
        help_text=_("Only the duties of this area, such as SEO方向, in any language."),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text=_("Substring of the duty's text or area, in any language."),
    )

    class Meta:
        model = Duty
        fields = ["role", "department", "under", "area", "search"]

    def filter_under(self, queryset, name, value):
        return queryset.filter(subtree_q(value, prefix="role__department__"))

    def filter_area(self, queryset, name, value):
        in_any_language = Q()
        for area in columns("area"):
            in_any_language |= Q(**{area: value})
        return queryset.filter(in_any_language)

    def filter_search(self, queryset, name, value):
        return queryset.filter(search_q(value, columns("text", "area")))
