"""The chart's matrix overlay: project teams beside the reporting tree.

Each team becomes a card of its own with a dashed, labelled connection to every department it
draws members from, and those departments' cards get a "+N 项目组" badge. Built from two
``values()`` queries, in the language being drawn; the chart caches the drawing.
"""

from dataclasses import dataclass, field

from django.db.models import F

from orgportal.i18n import columns, localized
from roles.models import Role
from teams.models import ProjectTeam, TeamMember


@dataclass
class TeamConnection:
    """A department a team draws on, with the titles of the roles it draws from there."""

    code: str
    name: str
    roles: list[str] = field(default_factory=list)
    has_owner: bool = False


@dataclass
class OverlayTeam:
    code: str
    name: str
    status: str
    status_label: str
    owner: str
    owner_department: str
    starts_on: object
    ends_on: object
    connections: list[TeamConnection] = field(default_factory=list)


def team_overlay(*, show_archived: bool) -> list[OverlayTeam]:
    """Return the teams to overlay, each with its departments in tree order."""
    teams = ProjectTeam.objects.all() if show_archived else ProjectTeam.objects.visible()
    labels = dict(ProjectTeam.Status.choices)
    team_rows = teams.order_by("code").values(
        "pk",
        "code",
        "status",
        "starts_on",
        "ends_on",
        "owner_id",
        *columns("name"),
        **{name: F(f"owner__{name}") for name in columns("title")},
        **{f"owner_department_{name}": F(f"owner__department__{name}") for name in columns("name")},
    )
    overlay = {}
    for row in team_rows:
        owner_department = {name: row[f"owner_department_{name}"] for name in columns("name")}
        overlay[row["pk"]] = OverlayTeam(
            code=row["code"],
            name=localized(row, "name"),
            status=row["status"],
            status_label=str(labels[row["status"]]),
            owner=localized(row, "title"),
            owner_department=localized(owner_department, "name"),
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
        )
    members = TeamMember.objects.filter(team__in=teams.values("pk"))
    if not show_archived:
        members = members.filter(role__in=Role.objects.visible())
    member_rows = members.order_by(
        "team_id", "role__department__tree_id", "role__department__lft", "sort_order", "pk"
    ).values(
        "team_id",
        "role_id",
        department_code=F("role__department__code"),
        **{f"role_{name}": F(f"role__{name}") for name in columns("title")},
        **{f"department_{name}": F(f"role__department__{name}") for name in columns("name")},
    )
    owners = {row["pk"]: row["owner_id"] for row in team_rows}
    for row in member_rows:
        team = overlay.get(row["team_id"])
        if team is None:
            continue
        if not team.connections or team.connections[-1].code != row["department_code"]:
            department = {name: row[f"department_{name}"] for name in columns("name")}
            team.connections.append(
                TeamConnection(code=row["department_code"], name=localized(department, "name"))
            )
        connection = team.connections[-1]
        connection.roles.append(localized({n: row[f"role_{n}"] for n in columns("title")}, "title"))
        connection.has_owner = connection.has_owner or row["role_id"] == owners[row["team_id"]]
    return list(overlay.values())


def team_badges(teams: list[OverlayTeam]) -> dict[str, list[OverlayTeam]]:
    """Return, by department code, the teams that draw on the department."""
    badges = {}
    for team in teams:
        for connection in team.connections:
            badges.setdefault(connection.code, []).append(team)
    return badges
