"""The teams a role or a department's roles belong to, for the role and department pages.

Those pages belong to apps that do not import teams; their templates load this library, and
each tag runs one query whatever the organisation's size.
"""

from django import template

from departments.models import subtree_q
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


@register.simple_tag(takes_context=True)
def department_teams(context, department, show_archived=False):
    """Return the teams that draw on a role (member or Owner) of ``department``'s subtree,
    each with ``drawn_roles``: the subtree's roles in it (``as_of_teams`` as of a date)."""
    if context.get("as_of_teams") is not None:
        return context["as_of_teams"]
    teams = _teams(show_archived)
    members = TeamMember.objects.filter(
        subtree_q(department, "role__department__"), team__in=teams.values("pk")
    ).select_related("team", "role")
    if not show_archived:
        members = members.filter(role__in=Role.objects.visible())
    found = {}
    for member in members.order_by("team__code", "sort_order"):
        team = found.setdefault(member.team_id, member.team)
        team.__dict__.setdefault("drawn_roles", []).append(member.role)
    # A team whose Owner stands in the subtree draws on it too, member or not.
    owned = teams.filter(subtree_q(department, "owner__department__")).exclude(pk__in=found)
    for team in owned:
        team.drawn_roles = []
        found[team.pk] = team
    return sorted(found.values(), key=lambda team: team.code)


@register.simple_tag
def teams_of_department(badges, code):
    """Return the teams of the chart's overlay that draw on the department ``code``."""
    return badges.get(code, [])
