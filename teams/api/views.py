"""The project team API: teams by code with their members, CRUD and filters."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets

from departments.api.filters import CODE_RE, readable
from orgportal.api.viewsets import ConditionalGetMixin, ReadsOutsideTransactionMixin
from teams.api.filters import ProjectTeamFilter, readable_members
from teams.api.serializers import ProjectTeamSerializer
from teams.models import ProjectTeam

TEAM_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=f"^{CODE_RE.pattern}$",
    description=_("The team's code."),
    examples=[OpenApiExample("618大促项目组", value="team-618")],
)


def members_prefetch(request):
    """The members of each team, in order; a role hidden from the user is left out."""
    members = readable_members(request).select_related("role__department")
    return Prefetch("members", queryset=members.order_by("sort_order", "pk"))


@extend_schema_view(
    list=extend_schema(
        summary=_("List project teams"),
        description=_(
            "Teams by code, each with its members nested. Staff see the teams that are not "
            "archived or closed; HR editors see all (filter with `active`)."
        ),
    ),
    create=extend_schema(
        summary=_("Create a project team"),
        description=_("With its members in `members`, in order. `Location` is the team's URL."),
    ),
    retrieve=extend_schema(
        summary=_("Get a project team with its members"), parameters=[TEAM_CODE]
    ),
    update=extend_schema(summary=_("Replace a project team"), parameters=[TEAM_CODE]),
    partial_update=extend_schema(
        summary=_("Change a project team"),
        description=_(
            "`members`, when given, replaces the team's members; archive with `is_active: false`."
        ),
        parameters=[TEAM_CODE],
    ),
    destroy=extend_schema(
        summary=_("Delete a project team"),
        description=_(
            "Deletes its memberships too. Archiving (PATCH `is_active: false`) keeps them."
        ),
        parameters=[TEAM_CODE],
    ),
)
class ProjectTeamViewSet(ConditionalGetMixin, ReadsOutsideTransactionMixin, viewsets.ModelViewSet):
    """Project teams, looked up by code."""

    queryset = ProjectTeam.objects.select_related("owner")
    serializer_class = ProjectTeamSerializer
    filterset_class = ProjectTeamFilter
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return (
            readable(ProjectTeam, self.request)
            .select_related("owner")
            .prefetch_related(members_prefetch(self.request))
            .order_by("code")
        )
