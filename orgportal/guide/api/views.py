"""The organisation's profile with its counts, and its health check, in the API."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from orgportal.guide.api.serializers import InsightsSerializer, OrganisationSerializer
from orgportal.guide.models import OrganisationProfile
from orgportal.guide.report import health_as_data
from orgportal.guide.views import cached_health
from orgportal.i18n import localized

NO_DEPARTMENTS = OpenApiResponse(description=_("The organisation has no departments yet."))


def health_or_404():
    health = cached_health()
    if health.root is None:
        raise NotFound(gettext("The organisation has no departments yet."))
    return health


class OrganisationView(APIView):
    """The company: its name, structure mode, business stage and counts."""

    @extend_schema(
        operation_id="organisation",
        summary=_("Get the organisation's profile"),
        description=_(
            "The company's code and name, the structure mode and business stage HR recorded "
            "(null where not set; the guide at /guide/ compares them with its advice), and "
            "counts of what staff see: departments, roles, duties, planned seats, depth."
        ),
        responses={200: OrganisationSerializer, 404: NO_DEPARTMENTS},
        tags=["organisation"],
    )
    def get(self, request):
        health = health_or_404()
        profile = OrganisationProfile.load()
        data = {
            "code": health.root["code"],
            "name": localized(health.root, "name"),
            "mode": profile.mode or None,
            "mode_label": profile.get_mode_display() if profile.mode else None,
            "stage": profile.stage or None,
            "stage_label": profile.get_stage_display() if profile.stage else None,
            "counts": {
                "departments": health.departments,
                "departments_below_root": health.departments_below_root,
                "roles": health.roles,
                "duties": health.duties,
                "planned_seats": health.seats,
                "roles_without_headcount": health.roles_without_headcount,
                "depth": health.depth,
                "project_teams": health.teams if health.teams_installed else None,
            },
        }
        return Response(OrganisationSerializer(data).data)


class InsightsView(APIView):
    """Organisation health: every figure of /insights/."""

    @extend_schema(
        operation_id="insights",
        summary=_("Get the organisation's health check"),
        description=_(
            "The figures of /insights/ for what staff see (archived parts left out): span of "
            "control in the bands 1, 2–3, 4–7, 8–12 and 13+ with the target band "
            "(ORGPORTAL_SPAN_TARGET, ORGPORTAL_REPORTS_TARGET), depth, planned seats per "
            "branch, gaps, and pairs of similar duties. Lists give their full count and their "
            "first 100 items; /insights/insights.csv has every item. Names in the request's "
            "language."
        ),
        responses={200: InsightsSerializer, 404: NO_DEPARTMENTS},
        tags=["organisation"],
    )
    def get(self, request):
        return Response(InsightsSerializer(health_as_data(health_or_404())).data)
