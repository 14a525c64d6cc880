"""A membership of a hidden role (at or below an archived department) finds nothing for a reader
who may not see archived items: not in team search, on the search page or in the API, and not
through ?department=."""

import pytest
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive
from roles.models import Role
from tests.conftest import token_client
from tests.factories import DepartmentFactory, ProjectTeamFactory, RoleFactory, TeamMemberFactory


@pytest.fixture
def team_with_hidden_member(seed_org):
    """A visible team (its Owner in 财务部) with one more member: a role of a sub-department of
    数字运营部 that is then archived."""
    digital = Department.objects.get(code="digital-operations")
    branch = DepartmentFactory(code="secret-lab", name="秘密实验室", parent=digital)
    hidden_role = RoleFactory(code="secret-role", title="秘密岗位", department=branch)
    owner = Role.objects.get(code="financial-accountant")
    team = ProjectTeamFactory(code="budget-team", name="预算项目组", owner=owner)
    TeamMemberFactory(team=team, role=owner, responsibility="核算")
    TeamMemberFactory(team=team, role=hidden_role, responsibility="绝密代号天穹")
    department_archive(department=branch)
    return team


def test_team_search_does_not_match_a_hidden_members_responsibility(
    team_with_hidden_member, viewer_client
):
    # Only the hidden member's responsibility holds 天穹: nothing may be found.
    response = viewer_client.get(reverse("search:results"), {"q": "天穹"})
    assert response.status_code == 200
    assert "/teams/budget-team/" not in response.content.decode()


def test_team_api_search_does_not_match_a_hidden_members_responsibility(
    team_with_hidden_member, viewer
):
    response = token_client(viewer).get("/api/v1/teams/", {"search": "天穹"})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_team_api_department_filter_does_not_count_hidden_members(team_with_hidden_member, viewer):
    # The team draws on 数字运营部's branch only through the hidden member.
    response = token_client(viewer).get("/api/v1/teams/", {"department": "digital-operations"})
    assert response.status_code == 200
    codes = {team["code"] for team in response.json()["results"]}
    assert "budget-team" not in codes


def test_search_within_a_department_does_not_find_teams_through_hidden_members(
    team_with_hidden_member, viewer_client
):
    response = viewer_client.get(
        reverse("search:results"), {"q": "预算项目组", "department": "digital-operations"}
    )
    assert response.status_code == 200
    assert "/teams/budget-team/" not in response.content.decode()


def test_a_visible_members_responsibility_still_finds_the_team(team_with_hidden_member, viewer):
    response = token_client(viewer).get("/api/v1/teams/", {"search": "核算"})
    assert [team["code"] for team in response.json()["results"]] == ["budget-team"]


def test_an_editor_still_finds_the_team_through_the_hidden_member(team_with_hidden_member, hr):
    found = hr.get("/api/v1/teams/", {"search": "天穹"}).json()["results"]
    drawing = hr.get("/api/v1/teams/", {"department": "digital-operations"}).json()["results"]

    assert [team["code"] for team in found] == ["budget-team"]
    assert "budget-team" in {team["code"] for team in drawing}
