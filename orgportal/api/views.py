"""API endpoints that span departments and roles: the organisation export."""

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, quote_etag
from django.utils.timezone import localdate
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.access import can_change
from departments.models import Department
from orgportal.api.errors import TooLarge
from orgportal.api.permissions import CanViewWholeOrganisation
from orgportal.api.serializers import OrganisationFileSerializer
from orgportal.cache import org_version
from orgportal.changes.moments import AS_OF_PARAMETER, as_of_parameter
from orgportal.changes.states import export_rows, root_sections, rows_as_of, visible_rows
from orgportal.orgfiles.export import organisation_json, organisation_yaml
from orgportal.orgfiles.orgfile import dump_org_file
from orgportal.orgfiles.workbook import (
    XLSX_CONTENT_TYPE,
    WorkbookTooLarge,
    cached_organisation_workbook,
)
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


def _encoded(chunks):
    for chunk in chunks:
        yield chunk.encode("utf-8")


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
            "the whole-organisation workbook instead: sheets of departments, roles, duties, "
            "project teams and their members in the language of `Accept-Language`, without "
            "archived items, as the portal's download button gives it (413 when its duties "
            "would not fit in a spreadsheet's sheet). Needs view permission on departments, "
            "roles and duties (the `HR editors` group has it)."
        ),
        parameters=[
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.QUERY,
                enum=["yaml", "json", "xlsx"],
                description=_("yaml (the default), json, or xlsx (the workbook)."),
            ),
            AS_OF_PARAMETER,
        ],
        responses={
            (200, OrganisationFileRenderer.media_type): OrganisationFileSerializer,
            (200, renderers.JSONRenderer.media_type): OrganisationFileSerializer,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            404: OpenApiResponse(description=_("The organisation has no departments yet.")),
            413: OpenApiResponse(
                description=_(
                    "The workbook asked for would list more rows in one sheet than a "
                    "spreadsheet holds (ORGPORTAL_WORKBOOK_MAX_ROWS)."
                )
            ),
        },
        tags=["export"],
    )
    def get(self, request):
        # Archived parts only for those who may change every part, as everywhere else.
        editor = all(can_change(request.user, model) for model in (Department, Role, Duty))
        renderer = request.accepted_renderer
        as_of = as_of_parameter(request)
        if as_of is not None and renderer.format != "xlsx":
            return self.file_as_of(renderer, editor, as_of)
        # Every format changes only with the organisation's version (the workbook also with
        # the language), so a conditional request is answered before anything is read.
        etag = quote_etag(
            f"export-{org_version()}-{renderer.format}-{int(editor)}-{get_language() or ''}"
        )
        response = get_conditional_response(request, etag=etag)
        if response is None:
            response = self.workbook() if renderer.format == "xlsx" else self.file(renderer, editor)
        response["ETag"] = etag
        return response

    def file(self, renderer, editor):
        """Stream the organisation file, YAML or JSON, as it is read."""
        if not Department.objects.exists():
            raise NotFound(gettext("The organisation has no departments yet."))
        write = organisation_json if renderer.format == "json" else organisation_yaml
        content_type = renderer.media_type
        if renderer.charset:
            content_type += f"; charset={renderer.charset}"
        return StreamingHttpResponse(
            _encoded(write(include_archived=editor)), content_type=content_type
        )

    def file_as_of(self, renderer, editor, moment):
        """The organisation file as it stood at ``moment``, rebuilt from the history."""
        rows = rows_as_of(moment)
        if not editor:
            rows = visible_rows(rows)
        if not rows.departments:
            raise NotFound(gettext("The organisation had no departments then."))
        write = organisation_json if renderer.format == "json" else organisation_yaml
        content_type = renderer.media_type
        if renderer.charset:
            content_type += f"; charset={renderer.charset}"
        return StreamingHttpResponse(
            _encoded(write(rows=export_rows(rows), sections=root_sections(rows))),
            content_type=content_type,
        )

    def workbook(self):
        if not Department.objects.root_nodes().exists():
            raise NotFound(gettext("The organisation has no departments yet."))
        try:
            content = cached_organisation_workbook()
        except WorkbookTooLarge as error:
            raise TooLarge(
                gettext(
                    "The workbook would list %(rows)d rows in one sheet; a spreadsheet holds "
                    "%(limit)d. Ask for the organisation file (format=yaml or json) instead."
                )
                % {"rows": error.rows, "limit": settings.ORGPORTAL_WORKBOOK_MAX_ROWS}
            ) from error
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
