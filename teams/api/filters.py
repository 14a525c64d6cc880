"""Query filters of the project team API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.access import can_change
from departments.api.filters import (
    CodeFilter,
    StrictBooleanFilter,
    filter_active,
    readable_departments,
    search_q,
)
from orgportal.i18n import columns
from roles.api.filters import readable_roles
from roles.models import Role
from teams.models import ProjectTeam, TeamMember, visible_members


def readable_members(request):
    """Return the team memberships the user of ``request`` may read through the API: those of
    visible roles unless the user may change roles (every one with no request, the schema)."""
    if request is None or can_change(request.user, Role):
        return TeamMember.objects.all()
    return visible_members()


class ProjectTeamFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=ProjectTeam.Status.choices,
        help_text=_("Only the teams of this status: planned, active or closed."),
    )
    active = StrictBooleanFilter(
        method=filter_active,
        help_text=_(
            "true: only the teams staff see (not archived, not closed, with a visible Owner); "
            "false: the others."
        ),
    )
    role = CodeFilter(
        queryset=readable_roles,
        method="filter_role",
        help_text=_("The teams this role belongs to or owns."),
    )
    department = CodeFilter(
        queryset=readable_departments,
        method="filter_department",
        help_text=_(
            "The teams that draw on a role (a member or the Owner) of the department with this "
            "code or of a department below it."
        ),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text=_(
            "Substring of the code, name or purpose, or of a member's responsibility, in any "
            "language."
        ),
    )

    class Meta:
        model = ProjectTeam
        fields = ["status", "active", "role", "department", "search"]

    def filter_role(self, queryset, name, value):
        return queryset.filter(
            Q(owner=value) | Q(pk__in=TeamMember.objects.filter(role=value).values("team_id"))
        )

    # A hidden role's membership, not in the answer's members, matches nothing either.
    def filter_department(self, queryset, name, value):
        return queryset.drawing_on(value, readable_members(self.request))

    def filter_search(self, queryset, name, value):
        members = readable_members(self.request).filter(search_q(value, columns("responsibility")))
        members = members.values("team_id")
        fields = ("code", *columns("name", "purpose"))
        return queryset.filter(search_q(value, fields) | Q(pk__in=members))
