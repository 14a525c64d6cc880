"""The role and duty API: CRUD, filters, roles by code with their duties, duties by id."""

from django.db.models import Exists, OuterRef, Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets

from departments.access import can_change
from departments.api.filters import CODE_RE, readable
from departments.api.views import LookupWithoutFiltersMixin
from orgportal.api.viewsets import ConditionalGetMixin, ReadsOutsideTransactionMixin
from roles.api.filters import DutyFilter, RoleFilter
from roles.api.serializers import DutySerializer, RoleDetailSerializer, RoleSerializer
from roles.models import Duty, Role

ROLE_CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=f"^{CODE_RE.pattern}$",
    description=_("The role's code."),
    examples=[OpenApiExample("SEO/SEM优化师", value="seo-sem-specialist")],
)
DUTY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("The duty's id."))
UNDER_EXAMPLE = OpenApiParameter(
    "under",
    str,
    OpenApiParameter.QUERY,
    description=_("The roles of the department with this code and of every department below it."),
    examples=[OpenApiExample("数字运营部", value="digital-operations")],
)


def team_memberships_prefetch(request):
    """The teams a role belongs to, through the reverse relation of the teams app.

    roles does not import teams (teams builds on roles); the model comes from the relation.
    """
    membership = Role._meta.get_field("team_memberships").related_model
    team = membership._meta.get_field("team").related_model
    teams = readable(team, request)
    memberships = (
        membership.objects.filter(team__in=teams.values("pk"))
        .select_related("team")
        .order_by("team__code")
    )
    return Prefetch("team_memberships", queryset=memberships, to_attr="readable_memberships")


@extend_schema_view(
    list=extend_schema(
        summary=_("List roles"),
        description=_("Roles in tree order of their departments, then in their order there."),
        parameters=[UNDER_EXAMPLE],
    ),
    create=extend_schema(
        summary=_("Create a role"),
        description=_("Add duties with the duty endpoint. `Location` is the new role's URL."),
        responses={201: RoleDetailSerializer},
    ),
    retrieve=extend_schema(summary=_("Get a role with its duties"), parameters=[ROLE_CODE]),
    update=extend_schema(summary=_("Replace a role"), parameters=[ROLE_CODE]),
    partial_update=extend_schema(summary=_("Change a role"), parameters=[ROLE_CODE]),
    destroy=extend_schema(
        summary=_("Delete a role"),
        description=_(
            "Deletes its duties too; roles that reported to it then report to no one. "
            "Archiving (PATCH `is_active: false`) keeps the history."
        ),
        parameters=[ROLE_CODE],
    ),
)
class RoleViewSet(
    ConditionalGetMixin,
    ReadsOutsideTransactionMixin,
    LookupWithoutFiltersMixin,
    viewsets.ModelViewSet,
):
    """Roles, looked up by code."""

    queryset = Role.objects.select_related("department", "reports_to")
    filterset_class = RoleFilter
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        queryset = readable(Role, self.request).select_related("department", "reports_to")
        if not can_change(self.request.user, Role):
            # The role a visible role reports to may itself be hidden: then it shows as null.
            visible_boss = Role.objects.visible().filter(pk=OuterRef("reports_to_id"))
            queryset = queryset.annotate(reports_to_visible=Exists(visible_boss))
        if self.action != "list":
            duties = Prefetch("duties", queryset=Duty.objects.order_by("sort_order", "pk"))
            queryset = queryset.prefetch_related(duties, team_memberships_prefetch(self.request))
        return queryset

    def get_serializer_class(self):
        return RoleSerializer if self.action == "list" else RoleDetailSerializer


@extend_schema_view(
    list=extend_schema(
        summary=_("List duties"),
        description=_("Duties in the order of their roles, then in their own order (sort_order)."),
    ),
    create=extend_schema(
        summary=_("Create a duty"),
        description=_("Without `sort_order` the duty goes after the role's other duties."),
    ),
    retrieve=extend_schema(summary=_("Get a duty"), parameters=[DUTY_ID]),
    update=extend_schema(summary=_("Replace a duty"), parameters=[DUTY_ID]),
    partial_update=extend_schema(summary=_("Change a duty"), parameters=[DUTY_ID]),
    destroy=extend_schema(summary=_("Delete a duty"), parameters=[DUTY_ID]),
)
class DutyViewSet(
    ConditionalGetMixin,
    ReadsOutsideTransactionMixin,
    LookupWithoutFiltersMixin,
    viewsets.ModelViewSet,
):
    """Duties, looked up by id."""

    queryset = Duty.objects.select_related("role").in_org_order()
    serializer_class = DutySerializer
    filterset_class = DutyFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return readable(Duty, self.request).select_related("role").in_org_order()
