"""The teams of a department's subtree (the department page's panel), written in SQL: the same
teams and drawn roles as the ORM's definition, with archived and closed items in the tree."""

import pytest
from django.utils import translation

from departments.models import Department, subtree_q
from departments.services import department_archive
from roles.models import Role
from teams.models import ProjectTeam, TeamMember
from teams.templatetags.teams import department_teams


def reference(department, show_archived):
    """The definition, in the ORM: the visible teams with a visible member role in the
    subtree, or with their Owner in it; each with the subtree's member roles in order."""
    teams = ProjectTeam.objects.all() if show_archived else ProjectTeam.objects.visible()
    members = TeamMember.objects.filter(
        subtree_q(department, "role__department__"), team__in=teams.values("pk")
    )
    if not show_archived:
        members = members.filter(role__in=Role.objects.visible())
    found = {}
    for member in members.order_by("team__code", "sort_order", "pk"):
        found.setdefault(member.team.code, []).append(member.role.code)
    for team in teams.filter(subtree_q(department, "owner__department__")):
        found.setdefault(team.code, [])
    return sorted(found.items())


def shown(department, show_archived):
    return [
        (team.code, [role.code for role in team.drawn_roles])
        for team in department_teams({}, department, show_archived)
    ]


@pytest.mark.parametrize("show_archived", [False, True])
def test_the_panel_lists_what_the_orm_definition_does(large_org, show_archived):
    teams = list(ProjectTeam.objects.order_by("code"))
    assert len(teams) >= 2
    # A closed team, an archived member role, and an archived department with members.
    ProjectTeam.objects.filter(pk=teams[0].pk).update(status=ProjectTeam.Status.CLOSED)
    member = TeamMember.objects.filter(team=teams[1]).order_by("pk").first()
    Role.objects.filter(pk=member.role_id).update(is_active=False)
    other = (
        TeamMember.objects.exclude(role__department=member.role.department)
        .filter(role__department__level__gte=2)
        .first()
    )
    department_archive(department=other.role.department)

    checked = 0
    # The upper levels and a spread of the rest (generated teams draw on departments spread
    # over the tree).
    departments = Department.objects.all()
    for department in [d for d in departments if d.level <= 1 or d.pk % 5 == 0]:
        assert shown(department, show_archived) == reference(department, show_archived), (
            department.code
        )
        checked += bool(reference(department, show_archived))
    assert checked > 3


def test_as_of_teams_are_handed_over(seed_org):
    assert department_teams({"as_of_teams": ["then"]}, seed_org) == ["then"]


@pytest.mark.parametrize("language", ["zh-hans", "en", "zh-hant"])
def test_the_panel_reads_what_the_instances_give(large_org, language):
    """The panel's teams and roles are rows: what its template reads of them is what the
    model instances give, in every language (an English name missing falls back)."""
    teams = list(ProjectTeam.objects.order_by("code"))
    ProjectTeam.objects.filter(pk=teams[0].pk).update(status=ProjectTeam.Status.PLANNED)
    ProjectTeam.objects.filter(pk=teams[1].pk).update(name_en="")
    member = TeamMember.objects.filter(team=teams[2]).order_by("pk").first()
    Role.objects.filter(pk=member.role_id).update(title_en="")

    with translation.override(language):
        shown = department_teams({}, large_org, True)
        assert {team.pk for team in shown} >= {teams[0].pk, teams[1].pk, teams[2].pk}
        for team in shown:
            instance = ProjectTeam.objects.get(pk=team.pk)
            assert (
                team.code,
                team.name,
                team.is_active,
                team.status,
                team.get_status_display(),
                team.get_absolute_url(),
            ) == (
                instance.code,
                instance.name,
                instance.is_active,
                instance.status,
                instance.get_status_display(),
                instance.get_absolute_url(),
            )
            for role in team.drawn_roles:
                instance = Role.objects.get(pk=role.pk)
                assert (role.code, role.title, role.get_absolute_url()) == (
                    instance.code,
                    instance.title,
                    instance.get_absolute_url(),
                )
