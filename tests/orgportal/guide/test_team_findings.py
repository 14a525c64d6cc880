"""Findings that need project teams (issue 12's app): run whenever ``teams`` is installed."""

import pytest
from django.apps import apps
from django.urls import reverse

from orgportal.guide.health import organisation_health
from orgportal.guide.models import OrganisationProfile
from tests.factories import DepartmentFactory, RoleFactory, company_root
from tests.orgportal.guide.test_guide_page import findings_of, get_guide

pytestmark = pytest.mark.skipif(not apps.is_installed("teams"), reason="needs the teams app")


def team(code, owner, *members, status="active"):
    from teams.models import ProjectTeam, TeamMember

    created = ProjectTeam.objects.create(code=code, name=code, owner=owner, status=status)
    for role in members:
        TeamMember.objects.create(team=created, role=role)
    return created


@pytest.fixture
def two_departments(db):
    root = company_root()
    market = DepartmentFactory(code="market", parent=root)
    tech = DepartmentFactory(code="tech", parent=root)
    return (
        RoleFactory(code="planner", department=market),
        RoleFactory(code="analyst", department=market),
        RoleFactory(code="engineer", department=tech),
    )


def test_teams_are_counted_by_the_departments_they_draw_on(two_departments):
    planner, analyst, engineer = two_departments
    team("cross", planner, engineer)
    team("inside", planner, analyst)
    team("later", planner, engineer, status="planned")

    health = organisation_health()

    assert (health.teams, health.active_teams, health.cross_department_teams) == (3, 2, 1)
    assert [item.code for item in health.single_department_teams] == ["inside"]


def test_growth_without_an_active_cross_department_team_is_told(viewer_client, two_departments):
    planner, analyst, engineer = two_departments
    OrganisationProfile(mode="matrix", stage="growth").save()
    team("inside", planner, analyst)
    team("later", planner, engineer, status="planned")

    html = get_guide(viewer_client)

    assert "growth-without-project-team" in findings_of(html)
    assert "进行中的项目组 1 个" in html and "其中跨部门的 0 个" in html


def test_growth_with_an_active_cross_department_team_is_fine(viewer_client, two_departments):
    planner, _analyst, engineer = two_departments
    OrganisationProfile(mode="matrix", stage="growth").save()
    team("cross", planner, engineer)

    assert findings_of(get_guide(viewer_client)) == ["none"]


def test_a_matrix_whose_teams_draw_on_one_department_is_told(client, hr_editor, two_departments):
    planner, analyst, _engineer = two_departments
    OrganisationProfile(mode="matrix").save()
    team("inside", planner, analyst)
    client.force_login(hr_editor)

    html = get_guide(client)

    assert findings_of(html) == ["matrix-single-department"]
    assert "每个项目组的成员都只来自一个部门" in html
    assert "其中成员只来自一个部门的 1 个" in html
    assert reverse("admin:teams_projectteam_add") in html


def test_a_matrix_without_teams_is_told(viewer_client, two_departments):
    OrganisationProfile(mode="matrix").save()

    assert findings_of(get_guide(viewer_client)) == ["matrix-single-department"]


def test_the_seed_as_a_matrix_with_its_project_team_departs_from_nothing(viewer_client, seed_org):
    assert OrganisationProfile.load().mode == "matrix"

    assert findings_of(get_guide(viewer_client)) == ["none"]
