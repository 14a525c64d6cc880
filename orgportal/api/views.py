"""API endpoints that span departments and roles: the organisation export."""

from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.timezone import localdate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import conditional_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.access import can_change
from departments.models import Department
from orgportal.api.permissions import CanViewWholeOrganisation
from orgportal.api.serializers import OrganisationDepartmentSerializer
from orgportal.orgfiles.orgfile import dump_org_file
from orgportal.orgfiles.services import organisation_data
from orgportal.orgfiles.workbook import XLSX_CONTENT_TYPE, cached_organisation_workbook
from roles.models import Duty, Role


class OrganisationFileRenderer(renderers.BaseRenderer):
    """Render organisation data as an organisation file (YAML)."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return dump_org_file(data).encode(self.charset)


class WorkbookRenderer(renderers.BaseRenderer):
    """Pass the whole-organisation workbook (bytes) through as .xlsx."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


@method_decorator(conditional_page, name="dispatch")
class OrganisationExportView(APIView):
    """The whole organisation, archived parts included, as one organisation file."""

    permission_classes = [CanViewWholeOrganisation]
    renderer_classes = [OrganisationFileRenderer, renderers.JSONRenderer, WorkbookRenderer]

    @extend_schema(
        operation_id="export",
        summary=_("Export the organisation"),
        description=_(
            "The organisation file of `manage.py export_org`: the company with its roles, "
            "duties and sub-departments, nested; archived parts are included for users who "
            "may change departments, roles and duties. YAML by default; "
            "JSON with `?format=json` (or `Accept: application/json`). `?format=xlsx` gives "
            "the whole-organisation workbook instead: sheets of departments, roles and duties "
            "in the language of `Accept-Language`, without archived items, as the portal's "
            "download button gives it. Needs view permission on departments, roles and duties "
            "(the `HR editors` group has it)."
        ),
        parameters=[
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.QUERY,
                enum=["yaml", "json", "xlsx"],
                description=_("yaml (the default), json, or xlsx (the workbook)."),
            )
        ],
        responses={
            (200, OrganisationFileRenderer.media_type): OrganisationDepartmentSerializer,
            (200, renderers.JSONRenderer.media_type): OrganisationDepartmentSerializer,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            404: OpenApiResponse(description=_("The organisation has no departments yet.")),
        },
        tags=["export"],
    )
    def get(self, request):
        if request.accepted_renderer.format == WorkbookRenderer.format:
            return self.workbook()
        # Archived parts only for those who may change every part, as everywhere else.
        editor = all(can_change(request.user, model) for model in (Department, Role, Duty))
        data = organisation_data(include_archived=editor)
        if not data:
            raise NotFound(gettext("The organisation has no departments yet."))
        return Response(data)

    def workbook(self):
        if not Department.objects.root_nodes().exists():
            raise NotFound(gettext("The organisation has no departments yet."))
        content = cached_organisation_workbook()
        filename = f"{Department.objects.root_nodes().first()} {localdate():%Y-%m-%d}.xlsx"
        return Response(
            content, headers={"Content-Disposition": content_disposition_header(True, filename)}
        )

    def handle_exception(self, exc):
        # Errors keep the API's one error format (JSON), whatever format was asked for.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = renderers.JSONRenderer.media_type
        return response
