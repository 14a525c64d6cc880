"""The organisation as plain rows: rebuilt from history as of a moment, and written as a file.

Historical records keep a department's parent and its position among its siblings, not the
nested set. Replaying the records in order (each one puts its department at its position under
its parent, a deletion takes it out) gives every sibling order exactly as it stood, because
every change of an order (an insert, a move, a deletion) is itself a record. The change feed's
clients replay the same way.
"""

from dataclasses import dataclass, field

from django.db.models import Max

from departments.models import Department
from orgportal.guide.models import OrganisationProfile
from orgportal.i18n import columns
from orgportal.orgfiles.export import LEFT_OUT, organisation_data, plain_rows
from orgportal.orgfiles.orgfile import DEPARTMENT_TEXTS, DUTY_TEXTS, ROLE_TEXTS
from orgportal.orgfiles.teamfile import MEMBER_TEXTS, TEAM_TEXTS, teams_file_data
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember

DEPARTMENT_COLUMNS = ("id", "code", "parent_id", "is_active", "zh_hant_auto")
ROLE_COLUMNS = (
    "id",
    "code",
    "department_id",
    "reports_to_id",
    "headcount",
    "sort_order",
    "is_active",
    "zh_hant_auto",
)
DUTY_COLUMNS = ("id", "role_id", "sort_order", "zh_hant_auto")
TEAM_COLUMNS = (
    "id",
    "code",
    "owner_id",
    "status",
    "starts_on",
    "ends_on",
    "is_active",
    "zh_hant_auto",
)
MEMBER_COLUMNS = ("id", "team_id", "role_id", "allocation", "sort_order", "zh_hant_auto")
COLUMNS = {
    Department: (*DEPARTMENT_COLUMNS, *columns(*DEPARTMENT_TEXTS)),
    Role: (*ROLE_COLUMNS, *columns(*ROLE_TEXTS)),
    Duty: (*DUTY_COLUMNS, *columns(*DUTY_TEXTS)),
    ProjectTeam: (*TEAM_COLUMNS, *columns(*TEAM_TEXTS)),
    TeamMember: (*MEMBER_COLUMNS, *columns(*MEMBER_TEXTS)),
    OrganisationProfile: ("id", "mode", "stage"),
}


@dataclass
class OrganisationRows:
    """Departments (in tree order, each with ``level``), roles, duties, project teams (by
    code), their members (in order) as ``values()`` rows, and the profile's row (or None)."""

    departments: list[dict] = field(default_factory=list)
    roles: list[dict] = field(default_factory=list)
    duties: list[dict] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)
    profile: dict | None = None


class TreeReplay:
    """Apply department records in order; read the tree they leave."""

    def __init__(self):
        self.rows = {}
        self.children = {}

    def apply(self, row, position, deleted=False):
        pk = row["id"]
        old = self.rows.get(pk)
        if old is not None:
            siblings = self.children.get(old["parent_id"], [])
            if pk in siblings:
                siblings.remove(pk)
        if deleted:
            self.rows.pop(pk, None)
            return
        self.rows[pk] = row
        siblings = self.children.setdefault(row["parent_id"], [])
        index = len(siblings) if position is None else min(position, len(siblings))
        siblings.insert(index, pk)

    def in_tree_order(self):
        """Return the rows from the root down, depth first, each with its ``level``."""
        ordered = []
        stack = [(pk, 0) for pk in reversed(self.children.get(None, []))]
        while stack:
            pk, level = stack.pop()
            row = dict(self.rows[pk], level=level)
            ordered.append(row)
            stack.extend((child, level + 1) for child in reversed(self.children.get(pk, [])))
        return ordered


PARTS = ("departments", "roles", "duties", "teams", "members", "profile")
# What the tree and the chart read of the organisation as of a date: departments and roles
# without their summaries; no duties, no teams.
TREE_PARTS = ("departments", "roles:lean")
LEAN_ROLE_COLUMNS = (*ROLE_COLUMNS, *columns("title"))


def rows_as_of(moment, *, only=PARTS) -> OrganisationRows:
    """Return the organisation as it stood at ``moment``, from the history: one query for
    each of the parts asked for (``only``; all six by default; "roles:lean" reads the roles
    without their summaries), two for the departments, whatever the date."""
    rows = OrganisationRows()
    if "departments" in only:
        # The order from every record's place alone (a narrow query), the texts from each
        # department's last record (one row each).
        tree = TreeReplay()
        places = (
            Department.history.filter(history_date__lte=moment)
            .order_by("history_id")
            .values_list("id", "parent_id", "sibling_position", "history_type")
        )
        for pk, parent_id, position, kind in places:
            tree.apply({"id": pk, "parent_id": parent_id}, position, deleted=kind == "-")
        contents = _latest(Department, moment)
        rows.departments = [
            {**contents[row["id"]], "level": row["level"]} for row in tree.in_tree_order()
        ]
    if "roles" in only:
        rows.roles = _ordered(_latest(Role, moment))
    elif "roles:lean" in only:
        rows.roles = _ordered(_latest(Role, moment, LEAN_ROLE_COLUMNS))
    if "duties" in only:
        rows.duties = _ordered(_latest(Duty, moment))
    if "teams" in only:
        rows.teams = _teams_ordered(_latest(ProjectTeam, moment))
    if "members" in only:
        rows.members = _ordered(_latest(TeamMember, moment))
    if "profile" in only:
        rows.profile = next(iter(_latest(OrganisationProfile, moment).values()), None)
    return rows


def _latest(model, moment, fields=None) -> dict:
    """Return each object's last record up to ``moment`` (none once deleted), by id.

    One query: the database picks each object's last record, so only one row per object
    travels, however many records it has.
    """
    history = model.history.model._base_manager
    last = (
        history.filter(history_date__lte=moment)
        .order_by()
        .values("id")
        .annotate(last=Max("history_id"))
        .values("last")
    )
    records = (
        history.filter(history_id__in=last)
        .exclude(history_type="-")
        .values(*(fields or COLUMNS[model]))
    )
    return {record["id"]: record for record in records}


def _ordered(rows: dict) -> list[dict]:
    return sorted(rows.values(), key=lambda row: (row["sort_order"], row["id"]))


def _teams_ordered(rows: dict) -> list[dict]:
    return sorted(rows.values(), key=lambda row: row["code"])


def current_rows() -> OrganisationRows:
    """Return the organisation as it stands, as the same rows (six queries)."""
    departments = list(
        Department.objects.order_by("tree_id", "lft").values(*COLUMNS[Department], "level")
    )
    roles = list(Role.objects.order_by("sort_order", "pk").values(*COLUMNS[Role]))
    duties = list(Duty.objects.order_by("sort_order", "pk").values(*COLUMNS[Duty]))
    teams = list(ProjectTeam.objects.order_by("code").values(*COLUMNS[ProjectTeam]))
    members = list(TeamMember.objects.order_by("sort_order", "pk").values(*COLUMNS[TeamMember]))
    profile = OrganisationProfile.objects.values(*COLUMNS[OrganisationProfile]).first()
    return OrganisationRows(departments, roles, duties, teams, members, profile)


def visible_rows(rows: OrganisationRows) -> OrganisationRows:
    """Return what those who may not see archived items see: no archived department, nothing
    below one, no archived role (and none of their duties); no archived or closed team, none
    whose Owner is hidden, no member whose role is hidden."""
    hidden_below = None
    departments = []
    for row in rows.departments:
        if hidden_below is not None and row["level"] > hidden_below:
            continue
        hidden_below = None
        if not row["is_active"]:
            hidden_below = row["level"]
            continue
        departments.append(row)
    shown = {row["id"] for row in departments}
    roles = [r for r in rows.roles if r["is_active"] and r["department_id"] in shown]
    shown_roles = {row["id"] for row in roles}
    duties = [d for d in rows.duties if d["role_id"] in shown_roles]
    teams = [
        team
        for team in rows.teams
        if team["is_active"]
        and team["status"] != ProjectTeam.Status.CLOSED
        and team["owner_id"] in shown_roles
    ]
    shown_teams = {team["id"] for team in teams}
    members = [
        m for m in rows.members if m["team_id"] in shown_teams and m["role_id"] in shown_roles
    ]
    return OrganisationRows(departments, roles, duties, teams, members, rows.profile)


def export_rows(rows: OrganisationRows):
    """Return ``rows`` as the export's writers read them (orgfiles.export.plain_rows)."""
    codes = {row["id"]: row["code"] for row in rows.roles}
    # A role that reports to one the rows leave out (archived, for staff) reports to nobody.
    roles = [
        {**row, "reports_to_code": codes.get(row["reports_to_id"]), "reports_to_shown": True}
        for row in rows.roles
    ]
    return plain_rows(rows.departments, roles, rows.duties)


def root_sections(rows: OrganisationRows) -> dict:
    """Return what the file's root holds after the tree, from ``rows``: the profile's mode and
    stage, the teams (as orgfiles.export.ROOT_SECTIONS writes them from the database)."""
    codes = {row["id"]: row["code"] for row in rows.roles}
    members = {}
    for member in rows.members:
        members.setdefault(member["team_id"], []).append(
            {**member, "role_code": codes.get(member["role_id"])}
        )
    teams = [{**team, "owner": codes.get(team["owner_id"])} for team in rows.teams]
    profile = rows.profile or {}
    return {
        "mode": profile.get("mode") or None,
        "stage": profile.get("stage") or None,
        "teams": teams_file_data(teams, members) or LEFT_OUT,
    }


def organisation_file_data(rows: OrganisationRows) -> dict:
    """Return ``rows`` as the mapping an organisation file holds (as organisation_data())."""
    return organisation_data(rows=export_rows(rows), sections=root_sections(rows))
