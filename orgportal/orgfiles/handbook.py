"""The handbook of job descriptions (岗位说明书) as a PDF, made on the server with WeasyPrint.

The HTML comes from templates/orgportal/orgfiles/handbook.html and its layout from
static/css/handbook.css (page sizes, running headers, page numbers, the contents' page
numbers through ``target-counter``). WeasyPrint needs Pango and a CJK font from the system:
.ci/run and the Dockerfile install them.
"""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from departments.models import Department
from orgportal.cache import org_cached
from orgportal.orgfiles.snapshot import load_role_teams, org_snapshot
from roles.models import Role

PDF_CONTENT_TYPE = "application/pdf"
STYLESHEET = "css/handbook.css"


def handbook_html(*, top=None, role=None, include_archived=False) -> str:
    """Return the handbook's HTML: the organisation, the branch below ``top``, or ``role``."""
    snapshot = org_snapshot(top=top, role=role, include_archived=include_archived)
    load_role_teams(snapshot)
    departments = [
        department
        for department in snapshot.departments
        # The company is the cover; it gets a section only when it has roles of its own.
        if department.level > 0 or department.roles
    ]
    if role is not None:
        scope = snapshot.roles[0].title if snapshot.roles else ""
    elif top is not None and departments:
        scope = departments[0].name
    else:
        scope = ""
    return render_to_string(
        "orgportal/orgfiles/handbook.html",
        {
            "organisation": snapshot.organisation,
            "scope": scope,
            "single_role": role is not None,
            "departments": departments,
            "role_count": len(snapshot.roles),
            "today": timezone.localdate(),
            "language": get_language() or "zh-hans",
        },
    )


def handbook_role_count(*, top=None, include_archived=False) -> int:
    """Return how many roles the handbook of ``top`` (the whole organisation when None) holds,
    in one COUNT query: its pages grow with it (see ORGPORTAL_HANDBOOK_MAX_ROLES)."""
    departments = Department.objects.all()
    if not include_archived:
        departments = departments.visible()
    if top is not None:
        departments = departments.descendants_of(top, include_self=True)
    roles = Role.objects.filter(department__in=departments)
    if not include_archived:
        roles = roles.filter(is_active=True)
    return roles.count()


def too_large_for_a_request(role_count: int) -> bool:
    """Whether a handbook of ``role_count`` roles is too large to make in a web request."""
    return role_count > settings.ORGPORTAL_HANDBOOK_MAX_ROLES


def handbook_pdf(*, top=None, role=None, include_archived=False) -> bytes:
    """Return the handbook as PDF bytes (see handbook_html)."""
    import weasyprint

    html = handbook_html(top=top, role=role, include_archived=include_archived)
    stylesheet = weasyprint.CSS(filename=finders.find(STYLESHEET))
    return weasyprint.HTML(string=html).write_pdf(stylesheets=[stylesheet])


def cached_handbook_pdf(*, top=None, role=None, include_archived=False) -> bytes:
    """Return handbook_pdf(), made once per organisation version, language and day (the cover
    shows the date), then served from the cache (orgportal.cache) until anything changes."""
    subject = f"role:{role.code}" if role else f"department:{top.code}" if top else "all"
    key = f"orgfiles:handbook:{subject}:{int(include_archived)}:{timezone.localdate():%Y%m%d}"
    return org_cached(
        key, lambda: handbook_pdf(top=top, role=role, include_archived=include_archived)
    )
