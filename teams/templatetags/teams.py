"""The teams a role or a department's roles belong to, for the role and department pages.

Those pages belong to apps that do not import teams; their templates load this library, and
each tag runs one query whatever the organisation's size.
"""

from django import template
from django.db import connections
from django.urls import reverse

from departments.models import Department
from departments.tree import RowItem, fetch_rows
from orgportal.i18n import column, fallback_order
from roles.models import Role
from teams.models import ProjectTeam, TeamMember

register = template.Library()


def _teams(show_archived):
    teams = ProjectTeam.objects.all()
    return teams if show_archived else teams.visible()


@register.simple_tag(takes_context=True)
def role_teams(context, role, show_archived=False):
    """Return the memberships of ``role`` in teams (each with ``is_owner``), and as extra
    entries without a membership the teams it owns but is not listed in, by team name.

    A page as of a past date hands them over as ``as_of_teams`` (orgportal.changes.pages).
    """
    if context.get("as_of_teams") is not None:
        return context["as_of_teams"]
    teams = _teams(show_archived)
    memberships = list(
        TeamMember.objects.filter(role=role, team__in=teams.values("pk"))
        .select_related("team")
        .order_by("team__code")
    )
    listed = {membership.team_id for membership in memberships}
    owned = teams.filter(owner=role).exclude(pk__in=listed).order_by("code")
    entries = [
        {"team": m.team, "membership": m, "is_owner": m.team.owner_id == role.pk}
        for m in memberships
    ]
    entries += [{"team": team, "membership": None, "is_owner": True} for team in owned]
    entries.sort(key=lambda entry: (not entry["is_owner"], entry["team"].code))
    return entries


def _quote(model):
    return connections[model._base_manager.db].ops.quote_name(model._meta.db_table)


def _hidden_below_archived(alias, departments):
    """SQL: the department ``alias`` is archived or lies below an archived department (as
    departments.models.archived_subtree_q())."""
    return f"""EXISTS (
        SELECT 1 FROM {departments} a
        WHERE a.tree_id = {alias}.tree_id AND a.lft <= {alias}.lft AND a.rght >= {alias}.rght
          AND NOT a.is_active
    )"""


def text_columns(field, order):
    """The quoted language columns of ``field``, in the fallback ``order``."""
    quote = connections[Role._base_manager.db].ops.quote_name
    return [quote(column(field, language)) for language in order]


class TeamItem(RowItem):
    """A team of the department page's panel, made of its row (see RowItem)."""

    def get_status_display(self):
        # As Model.get_FOO_display(): the choice's label, else the stored value.
        return str(dict(ProjectTeam.Status.choices).get(self.status, self.status))


@register.simple_tag(takes_context=True)
def department_teams(context, department, show_archived=False):
    """Return the teams that draw on a role (member or Owner) of ``department``'s subtree,
    each with ``drawn_roles``: the subtree's roles in it (``as_of_teams`` as of a date).

    One query written in SQL: the teams, each joined with its members in the subtree. The
    ORM compiled its nested visibility subqueries on every department page, which took longer
    than running them; two queries (the subtree's members, then their teams) cost a round
    trip and a plan more, and PostgreSQL merged the members with every role in key order.
    Teams and roles are RowItems of the columns the panel shows, not model instances.
    """
    if context.get("as_of_teams") is not None:
        return context["as_of_teams"]
    departments = _quote(Department)
    roles, teams, members = _quote(Role), _quote(ProjectTeam), _quote(TeamMember)
    subtree = "{d}.tree_id = %s AND {d}.lft >= %s AND {d}.rght <= %s"
    place = [department.tree_id, department.lft, department.rght]
    # As ProjectTeam.objects.visible() (the team, its Owner and the Owner's department) and
    # Role.objects.visible() (the member).
    team_visible = member_visible = ""
    visible_params = []
    if not show_archived:
        team_visible = f"""AND t.is_active AND t.status <> %s AND o.is_active
            AND NOT {_hidden_below_archived("od", departments)}"""
        visible_params = [ProjectTeam.Status.CLOSED.value]
        member_visible = f"AND r.is_active AND NOT {_hidden_below_archived('d', departments)}"
    order = fallback_order()
    titles = [column("title", language) for language in order]
    quote = connections[Role._base_manager.db].ops.quote_name
    names = ", ".join(f"t.{column}" for column in text_columns("name", order))
    # Every team has an Owner, joined by key; its members by the team's key (an index), each
    # one's role and department by key. A team is shown when a member stands in the subtree
    # or its Owner does. Members in the team's order, as the team page lists them.
    sql = f"""
        SELECT t.id, t.code, t.is_active, t.status, {names},
               r.id AS role_id, r.code AS role_code,
               {", ".join(f"r.{quote(name)}" for name in titles)}
        FROM {teams} t
        JOIN {roles} o ON o.id = t.owner_id
        JOIN {departments} od ON od.id = o.department_id
        LEFT JOIN (
            {members} m
            JOIN {roles} r ON r.id = m.role_id
            JOIN {departments} d ON d.id = r.department_id
        ) ON m.team_id = t.id AND {subtree.format(d="d")} {member_visible}
        WHERE (r.id IS NOT NULL OR ({subtree.format(d="od")})) {team_visible}
        ORDER BY t.code, t.id, m.sort_order, m.id
    """
    found = {}
    team_url = reverse("teams:detail", kwargs={"code": "__code__"})
    role_url = reverse("roles:detail", kwargs={"code": "__code__"})
    for row in fetch_rows(sql, [*place, *place, *visible_params]):
        team = found.get(row["id"])
        if team is None:
            team = TeamItem(row, ("name",), order, team_url.replace("__code__", row["code"]))
            team.drawn_roles = []
            found[team.pk] = team
        if row["role_id"] is not None:
            role = {"id": row["role_id"], "code": row["role_code"], "drawn_by": team.pk}
            role.update((name, row[name]) for name in titles)
            url = role_url.replace("__code__", row["role_code"])
            team.drawn_roles.append(RowItem(role, ("title",), order, url))
    return list(found.values())


@register.simple_tag
def teams_of_department(badges, code):
    """Return the teams of the chart's overlay that draw on the department ``code``."""
    return badges.get(code, [])
