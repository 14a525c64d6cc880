"""The organisation (or one branch of it) as plain rows, for the workbook and the handbook.

Four queries whatever the size: the path above the branch, its departments, their roles and
the roles' duties, each as ``values()`` rows; the tree and its totals are put together in one
linear pass. Nothing archived unless asked for: a reader gets what the chart shows them.
``team_rows`` adds the project teams that draw on the branch in two more.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef

from departments.models import Department
from orgportal.i18n import CONTENT_LANGUAGES, column, columns, localized
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember

# Every language's column of each text: localized() picks the interface language's, with
# fallback to simplified Chinese.
DEPARTMENT_VALUES = ("pk", "code", "parent_id", "level", "is_active")
DEPARTMENT_VALUES += tuple(columns("name", "tagline", "positioning", "description"))
ROLE_VALUES = ("pk", "code", "headcount", "department_id", "is_active")
ROLE_VALUES += tuple(columns("title", "summary"))
BOSS_TITLES = {
    column("boss_title", language): column("reports_to__title", language)
    for language in CONTENT_LANGUAGES
}


@dataclass
class DutyRow:
    area: str
    text: str
    position: int


@dataclass
class TeamPart:
    """A role's part in a project team: the team's name, Owner or not, what it answers for."""

    team: str
    is_owner: bool
    responsibility: str = ""
    allocation: int | None = None


@dataclass
class RoleRow:
    code: str
    title: str
    summary: str
    headcount: int | None
    is_active: bool
    department: "DepartmentRow"
    reports_to_code: str = ""
    reports_to_title: str = ""
    duties: list[DutyRow] = field(default_factory=list)
    # Filled by load_role_teams(): the project teams the role works for.
    teams: list["TeamPart"] = field(default_factory=list)

    def duty_groups(self):
        """Return [(area, duties)] in order of first appearance, as the role page groups them."""
        groups = {}
        for duty in self.duties:
            groups.setdefault(duty.area, []).append(duty)
        return list(groups.items())


@dataclass
class DepartmentRow:
    code: str
    name: str
    tagline: str
    positioning: str
    description: str
    level: int
    is_active: bool
    path: list[str]
    parent: "DepartmentRow | None" = None
    children: list["DepartmentRow"] = field(default_factory=list)
    roles: list[RoleRow] = field(default_factory=list)
    seats: int = 0
    seats_unknown: int = 0

    @property
    def path_text(self) -> str:
        return " / ".join(self.path)

    @property
    def active_roles(self):
        return [role for role in self.roles if role.is_active]


@dataclass
class Snapshot:
    """A branch of the organisation: its departments in tree order, their roles, the root's name."""

    organisation: str
    departments: list[DepartmentRow]

    @property
    def roles(self):
        return [role for department in self.departments for role in department.roles]

    @property
    def duties(self):
        return [duty for role in self.roles for duty in role.duties]


def org_snapshot(*, top=None, role=None, include_archived=False) -> Snapshot:
    """Return the branch below ``top`` (the whole organisation when None), or just ``role``.

    Paths name the departments from below the company down, so the company itself has an
    empty path. Without ``include_archived`` nothing archived is in it, nor anything below an
    archived department.
    """
    if role is not None:
        top = role.department
    root = Department.objects.root_nodes().values(*columns("name"), "pk").first()
    if root is None:
        return Snapshot(organisation="", departments=[])
    departments = Department.objects.order_by("tree_id", "lft")
    if not include_archived:
        departments = departments.visible()
    above = []
    if top is not None:
        departments = departments.descendants_of(top, include_self=role is None)
        if role is not None:
            departments = Department.objects.filter(pk=top.pk)
        above = list(
            Department.objects.ancestors_of(top)
            .order_by("lft")
            .values("pk", "parent_id", *columns("name"), "level")
        )
    rows = list(departments.values(*DEPARTMENT_VALUES))
    # Each department's path: the names from below the company down to it.
    paths = {}
    for row in [*above, *rows]:
        above_it = paths.get(row["parent_id"], [])
        paths[row["pk"]] = [] if row["level"] == 0 else [*above_it, localized(row, "name")]
    by_pk, ordered = {}, []
    for row in rows:
        department = DepartmentRow(
            code=row["code"],
            name=localized(row, "name"),
            tagline=localized(row, "tagline"),
            positioning=localized(row, "positioning"),
            description=localized(row, "description"),
            level=row["level"],
            is_active=row["is_active"],
            path=paths[row["pk"]],
            parent=by_pk.get(row["parent_id"]),
        )
        by_pk[row["pk"]] = department
        ordered.append(department)
        if department.parent is not None:
            department.parent.children.append(department)
    roles_by_pk = _load_roles(rows, by_pk, role=role, include_archived=include_archived)
    _load_duties(roles_by_pk)
    # Totals from the leaves up: a department counts its own active roles and its branch's.
    for department in reversed(ordered):
        for own in department.active_roles:
            if own.headcount is None:
                department.seats_unknown += 1
            else:
                department.seats += own.headcount
        if department.parent is not None and department.is_active:
            department.parent.seats += department.seats
            department.parent.seats_unknown += department.seats_unknown
    return Snapshot(organisation=localized(root, "name"), departments=ordered)


def _load_roles(rows, by_pk, *, role, include_archived):
    roles = Role.objects.filter(department_id__in=[row["pk"] for row in rows])
    if role is not None:
        roles = roles.filter(pk=role.pk)
    boss = Role.objects.filter(pk=OuterRef("reports_to_id"))
    if not include_archived:
        roles = roles.filter(is_active=True)
        boss = Role.objects.visible().filter(pk=OuterRef("reports_to_id"))
    roles = roles.annotate(
        boss_shown=Exists(boss),
        boss_code=F("reports_to__code"),
        **{name: F(source) for name, source in BOSS_TITLES.items()},
    ).order_by("department__tree_id", "department__lft", "sort_order", "pk")
    loaded = {}
    for row in roles.values(*ROLE_VALUES, "boss_shown", "boss_code", *BOSS_TITLES):
        department = by_pk[row["department_id"]]
        shown = row["boss_shown"] and row["boss_code"]
        item = RoleRow(
            code=row["code"],
            title=localized(row, "title"),
            summary=localized(row, "summary"),
            headcount=row["headcount"],
            is_active=row["is_active"],
            department=department,
            reports_to_code=row["boss_code"] if shown else "",
            reports_to_title=localized(row, "boss_title") if shown else "",
        )
        department.roles.append(item)
        loaded[row["pk"]] = item
    return loaded


def _load_duties(roles_by_pk):
    if not roles_by_pk:
        return
    duties = (
        Duty.objects.filter(role_id__in=list(roles_by_pk))
        .order_by("role_id", "sort_order", "pk")
        .values("role_id", "sort_order", *columns("area", "text"))
    )
    for row in duties:
        roles_by_pk[row["role_id"]].duties.append(
            DutyRow(
                area=localized(row, "area"),
                text=localized(row, "text"),
                position=row["sort_order"] + 1,
            )
        )


def team_rows(snapshot: Snapshot):
    """Return the visible teams that draw on the snapshot's roles and their members there.

    Two queries: the teams staff see, and their members. A member whose role is not in the
    snapshot (archived, or outside the branch) is left out; so is a team with neither its
    Owner nor a member left.
    """
    roles = {role.code for role in snapshot.roles}
    teams = ProjectTeam.objects.visible()
    members = {}
    for member in (
        TeamMember.objects.filter(team__in=teams.values("pk"))
        .order_by("team_id", "sort_order", "pk")
        .values(
            "team_id",
            "allocation",
            "sort_order",
            *columns("responsibility"),
            role_code=F("role__code"),
        )
    ):
        if member["role_code"] in roles:
            members.setdefault(member["team_id"], []).append(member)
    rows = [
        (team, members.get(team["pk"], []))
        for team in teams.order_by("code").values(
            "pk",
            "code",
            "status",
            "starts_on",
            "ends_on",
            *columns("name", "purpose"),
            owner_code=F("owner__code"),
        )
    ]
    return [(team, kept) for team, kept in rows if kept or team["owner_code"] in roles]


def load_role_teams(snapshot: Snapshot) -> None:
    """Give each role of ``snapshot`` its parts in the visible project teams (two queries)."""
    roles = {role.code: role for role in snapshot.roles}
    for team, members in team_rows(snapshot):
        name = localized(team, "name")
        owner = team["owner_code"]
        for member in members:
            roles[member["role_code"]].teams.append(
                TeamPart(
                    team=name,
                    is_owner=member["role_code"] == owner,
                    responsibility=localized(member, "responsibility"),
                    allocation=member["allocation"],
                )
            )
        if owner in roles and all(member["role_code"] != owner for member in members):
            roles[owner].teams.append(TeamPart(team=name, is_owner=True))
