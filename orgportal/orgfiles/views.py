"""Downloads for readers: the handbook of job descriptions (PDF) and the workbook (xlsx).

They follow the pages' read rules (departments.access.PortalReadMixin): a login unless
ORGPORTAL_PUBLIC_READ, nothing archived unless a user who may change it asks with
``?archived=1`` (the handbook; the workbook never holds archived items). Each file is made once
per organisation version, language and day, then served from the cache (orgportal.cache).
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views import View

from departments.access import PortalReadMixin
from departments.models import Department
from orgportal.orgfiles.handbook import (
    PDF_CONTENT_TYPE,
    cached_handbook_pdf,
    handbook_role_count,
    too_large_for_a_request,
)
from orgportal.orgfiles.workbook import (
    XLSX_CONTENT_TYPE,
    WorkbookTooLarge,
    cached_organisation_workbook,
)
from roles.models import Role


def file_response(content, *, content_type, name, extension, as_attachment):
    """Return ``content`` as a download named "<name> <today>.<extension>"."""
    filename = f"{name} {timezone.localdate():%Y-%m-%d}.{extension}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    # Made for one reader's permissions: private to the browser, checked again each time.
    response["Cache-Control"] = "private, no-cache"
    return response


class DownloadView(PortalReadMixin, View):
    """A file about the whole organisation, or about the department or role ``code``."""

    archived_model = Department

    def get(self, request, code=None):
        subject = self.get_subject(code)
        return self.respond(self.make(subject), subject)

    def get_subject(self, code):
        if code is None:
            self.root = Department.objects.root_nodes().first()
            if self.root is None:
                raise Http404(gettext("The organisation has no departments yet."))
            return None
        departments = Department.objects.all()
        if not self.show_archived:
            departments = departments.visible()
        return get_object_or_404(departments, code=code)

    def title(self, subject):
        return str(self.root if subject is None else subject)


class HandbookView(DownloadView):
    """The handbook of job descriptions as PDF, shown in the browser.

    A handbook of more than ORGPORTAL_HANDBOOK_MAX_ROLES roles is not made in the request (it
    would take minutes and gigabytes): the reader gets a page that says so (413), points to the
    departments' own handbooks, and names the command HR can run instead.
    """

    def get(self, request, code=None):
        subject = self.get_subject(code)
        role_count = self.role_count(subject)
        if too_large_for_a_request(role_count):
            return TemplateResponse(
                request,
                "orgportal/orgfiles/handbook_too_large.html",
                {
                    "scope": self.title(subject),
                    "subject": subject,
                    "role_count": role_count,
                    "limit": settings.ORGPORTAL_HANDBOOK_MAX_ROLES,
                },
                status=413,
            )
        return self.respond(self.make(subject), subject)

    def role_count(self, subject):
        return handbook_role_count(top=subject, include_archived=self.show_archived)

    def make(self, subject):
        return cached_handbook_pdf(top=subject, include_archived=self.show_archived)

    def respond(self, content, subject):
        return file_response(
            content,
            content_type=PDF_CONTENT_TYPE,
            name=f"{self.title(subject)} {gettext('Job descriptions')}",
            extension="pdf",
            as_attachment=False,
        )


class RoleHandbookView(HandbookView):
    """The job description of one role as PDF."""

    archived_model = Role

    def get_subject(self, code):
        roles = Role.objects.select_related("department")
        if not self.show_archived:
            roles = roles.visible()
        return get_object_or_404(roles, code=code)

    def role_count(self, subject):
        return 1

    def make(self, subject):
        return cached_handbook_pdf(role=subject, include_archived=self.show_archived)


class WorkbookView(DownloadView):
    """The workbook of departments, roles and duties, as .xlsx (never archived items).

    A workbook whose duties would not fit in a worksheet (ORGPORTAL_WORKBOOK_MAX_ROWS) is not
    made: the reader gets a page that says so (413) and leads on to the departments' own
    workbooks and to the organisation file.
    """

    def get(self, request, code=None):
        self.show_archived = False
        subject = self.get_subject(code)
        try:
            content = self.make(subject)
        except WorkbookTooLarge as error:
            return TemplateResponse(
                request,
                "orgportal/orgfiles/workbook_too_large.html",
                {
                    "scope": self.title(subject),
                    "subject": subject,
                    "row_count": error.rows,
                    "limit": settings.ORGPORTAL_WORKBOOK_MAX_ROWS,
                },
                status=413,
            )
        return self.respond(content, subject)

    def make(self, subject):
        return cached_organisation_workbook(top=subject)

    def respond(self, content, subject):
        return file_response(
            content,
            content_type=XLSX_CONTENT_TYPE,
            name=self.title(subject),
            extension="xlsx",
            as_attachment=True,
        )
