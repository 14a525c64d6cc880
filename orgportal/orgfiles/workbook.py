"""The whole-organisation workbook: sheets of departments, roles, duties, project teams and
their members for readers.

Sheet names, headers and texts are in the interface language. The columns are the admin's
spreadsheet columns (departments/resources.py, roles/resources.py) plus read-only ones for
readers (paths, counts), so the admin imports the workbook sheet by sheet and, when nothing
was edited, changes nothing.

The company itself (the root department) is the workbook's organisation, not a row of the
departments sheet: the sheet lists the departments below it, as the chart's cards do (the seed
has 8). A branch's workbook lists the branch's department and everything below it, and the
project teams that draw on it (an Owner or a member in the branch) with the branch's members.
"""

from django.conf import settings
from django.db.models import Count
from django.utils.text import capfirst
from django.utils.timezone import localdate

from departments.models import Department
from departments.resources import DepartmentResource
from orgportal.cache import org_cached
from orgportal.i18n import localized
from orgportal.orgfiles.snapshot import Snapshot, org_snapshot, team_rows
from orgportal.orgfiles.spreadsheets import new_workbook, text_key, workbook_bytes, write_sheet
from roles.models import Duty, Role
from roles.resources import DutyResource, RoleResource
from teams.models import ProjectTeam, TeamMember
from teams.resources import ProjectTeamResource, TeamMemberResource

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A worksheet holds at most this many rows, its headers included (Excel's limit; openpyxl
# refuses to write further). ORGPORTAL_WORKBOOK_MAX_ROWS defaults to the rows below the headers.
SHEET_MAX_ROWS = 1_048_576


def _labels(resource_class, names):
    fields = resource_class.fields
    return [fields[name].column_name for name in names]


def department_sheet(snapshot: Snapshot):
    # Texts in the interface language, headed by that language's column ("部门名称 (English)"):
    # the admin imports them back into the column they came from (see TranslatedColumn).
    names = ["path", "code", text_key("name"), text_key("tagline"), text_key("positioning")]
    names += ["roles", "seats", "seats_unknown"]
    rows = [
        [
            department.path_text,
            department.code,
            department.name,
            department.tagline,
            department.positioning,
            len(department.active_roles),
            department.seats if department.seats or not department.seats_unknown else None,
            department.seats_unknown,
        ]
        for department in snapshot.departments
        if department.level > 0
    ]
    return _labels(DepartmentResource, names), rows


def role_sheet(snapshot: Snapshot):
    names = ["department_path", "code", text_key("title"), "reports_to_title"]
    names += ["reports_to", "headcount"]
    rows = [
        [
            role.department.path_text or role.department.name,
            role.code,
            role.title,
            role.reports_to_title,
            role.reports_to_code,
            role.headcount,
        ]
        for role in snapshot.roles
    ]
    return _labels(RoleResource, names), rows


def duty_sheet(snapshot: Snapshot):
    names = ["role", "role_title", text_key("area"), "sort_order", text_key("text")]
    rows = [
        [role.code, role.title, duty.area, duty.position, duty.text]
        for role in snapshot.roles
        for duty in role.duties
    ]
    return _labels(DutyResource, names), rows


def team_sheet(teams):
    names = ["code", text_key("name"), text_key("purpose"), "owner", "status"]
    names += ["starts_on", "ends_on"]
    rows = [
        [
            team["code"],
            localized(team, "name"),
            localized(team, "purpose"),
            team["owner_code"],
            team["status"],
            team["starts_on"],
            team["ends_on"],
        ]
        for team, _members in teams
    ]
    return _labels(ProjectTeamResource, names), rows


def member_sheet(teams):
    names = ["team", "role", text_key("responsibility"), "allocation", "sort_order"]
    rows = [
        [
            team["code"],
            member["role_code"],
            localized(member, "responsibility"),
            member["allocation"],
            member["sort_order"],
        ]
        for team, members in teams
        for member in members
    ]
    return _labels(TeamMemberResource, names), rows


def organisation_workbook(*, top=None) -> bytes:
    """Return the workbook of the organisation, or of the branch below ``top``, as .xlsx bytes.

    It holds what staff see: nothing archived, nothing below an archived department.
    """
    snapshot = org_snapshot(top=top)
    workbook = new_workbook()
    teams = team_rows(snapshot)
    for model, (headers, rows) in (
        (Department, department_sheet(snapshot)),
        (Role, role_sheet(snapshot)),
        (Duty, duty_sheet(snapshot)),
        (ProjectTeam, team_sheet(teams)),
        (TeamMember, member_sheet(teams)),
    ):
        write_sheet(workbook, capfirst(model._meta.verbose_name_plural), headers, rows)
    workbook.properties.title = snapshot.organisation
    workbook.properties.creator = "orgportal"
    return workbook_bytes(workbook)


def workbook_row_count(*, top=None) -> int:
    """Return the rows of the workbook's longest sheet (its duties, or its roles where they
    outnumber them), in one query: what staff see of the organisation or of the branch."""
    departments = Department.objects.visible()
    if top is not None:
        departments = departments.descendants_of(top, include_self=True)
    counts = Role.objects.filter(department__in=departments, is_active=True).aggregate(
        roles=Count("pk", distinct=True), duties=Count("duties")
    )
    return max(counts["roles"], counts["duties"])


class WorkbookTooLarge(Exception):
    """The workbook asked for would not fit in a spreadsheet: ``rows`` in its longest sheet."""

    def __init__(self, rows):
        super().__init__(rows)
        self.rows = rows


def too_large_for_a_sheet(row_count: int) -> bool:
    """Whether a sheet of ``row_count`` rows is more than a spreadsheet holds."""
    return row_count > settings.ORGPORTAL_WORKBOOK_MAX_ROWS


def cached_organisation_workbook(*, top=None) -> bytes:
    """Return organisation_workbook(), made once per organisation version, language and day.

    Raise WorkbookTooLarge, without making it, when its longest sheet would hold more rows
    than ORGPORTAL_WORKBOOK_MAX_ROWS (the answer is kept in the cache just the same).
    """
    limit = settings.ORGPORTAL_WORKBOOK_MAX_ROWS
    key = f"orgfiles:workbook:{top.code if top else ''}:{localdate():%Y%m%d}:{limit}"

    def make():
        rows = workbook_row_count(top=top)
        return rows if too_large_for_a_sheet(rows) else organisation_workbook(top=top)

    made = org_cached(key, make)
    if isinstance(made, int):
        raise WorkbookTooLarge(made)
    return made
