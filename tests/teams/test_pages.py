"""Project team pages, and the teams on role and department pages: access, archived and
closed teams, the Owner first, members by home department, fixed query counts."""

import pytest
from django.urls import reverse

from roles.models import Role
from teams.models import ProjectTeam
from tests.factories import ProjectTeamFactory, TeamMemberFactory, UserFactory

TEAM = "team-618"
# Session, user (the pages read outside a transaction), the teams with Owner and department,
# their members with roles and departments, and the permission lookups (archived toggle, edit
# link).
TEAM_LIST_QUERIES = 6
# … and the check whether the team is visible (the way back from an archived one).
TEAM_PAGE_QUERIES = 7


def team_url(code=TEAM, query=""):
    return reverse("teams:detail", kwargs={"code": code}) + query


def test_team_pages_need_a_login(client, seed_org):
    for url in (reverse("teams:list"), team_url()):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_team_list_shows_owner_status_dates_size_and_departments(viewer_client, seed_org):
    response = viewer_client.get(reverse("teams:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "618大促项目组" in html and 'data-team="team-618"' in html
    assert "营销策划经理" in html and "进行中" in html and "2026-11-16" in html
    assert '<dd data-figure="team-members">6</dd>' in html
    for department in (
        "市场调研与策略部",
        "数字运营部",
        "用户增长与运营部",
        "数据与技术部",
        "客户服务部",
    ):
        assert department in html


def test_team_page_shows_purpose_rule_and_members_grouped_with_the_owner_first(
    viewer_client, seed_org
):
    response = viewer_client.get(team_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "统筹618大促" in html
    assert "项目组负责结果,职能部门负责资源" in html
    groups = response.context["groups"]
    assert [department.code for department, _members in groups] == [
        "market-research-strategy",
        "digital-operations",
        "user-growth-operations",
        "data-technology",
        "customer-service",
    ]
    first = groups[0][1][0]
    assert first.role.code == "marketing-planning-manager" and first.is_owner
    assert [m.role.code for m in groups[1][1]] == ["seo-sem-specialist", "ecommerce-operations"]
    assert html.index('data-member="marketing-planning-manager"') < html.index(
        'data-member="seo-sem-specialist"'
    )
    assert 'href="/roles/seo-sem-specialist/"' in html
    assert "40%" in html


def test_team_page_in_english(client, viewer, seed_org):
    client.force_login(viewer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(team_url()).content.decode()
    assert "618 Shopping Festival Project Team" in html
    assert "The team answers for the result; the departments provide the resources." in html


def test_role_page_lists_its_teams_and_marks_the_owned_ones(viewer_client, seed_org):
    html = viewer_client.get(reverse("roles:detail", args=["seo-sem-specialist"])).content
    html = html.decode()
    assert 'data-team="team-618"' in html and "618大促项目组" in html
    owner = viewer_client.get(reverse("roles:detail", args=["marketing-planning-manager"]))
    assert "badge--owner" in owner.content.decode()
    other = viewer_client.get(reverse("roles:detail", args=["financial-accountant"]))
    assert "该岗位不在任何项目组中" in other.content.decode()


def test_department_page_lists_teams_drawing_on_its_subtree(viewer_client, seed_org):
    html = viewer_client.get(reverse("departments:detail", args=["digital-operations"]))
    html = html.content.decode()
    assert 'data-team="team-618"' in html and "电商运营" in html
    company = viewer_client.get(reverse("departments:detail", args=["company"])).content
    assert 'data-team="team-618"' in company.decode()
    finance = viewer_client.get(reverse("departments:detail", args=["finance"])).content
    assert 'data-team="team-618"' not in finance.decode()


@pytest.mark.parametrize("change", [{"is_active": False}, {"status": "closed"}])
def test_archived_and_closed_teams_are_hidden_unless_hr_asks(client, seed_org, viewer, change):
    ProjectTeam.objects.filter(code=TEAM).update(**change)
    client.force_login(viewer)
    assert 'data-team="team-618"' not in client.get(reverse("teams:list")).content.decode()
    gone = client.get(team_url())
    assert gone.status_code == 404 and "618大促项目组" not in gone.content.decode()
    role = client.get(reverse("roles:detail", args=["seo-sem-specialist"])).content.decode()
    assert 'data-team="team-618"' not in role
    department = client.get(reverse("departments:detail", args=["digital-operations"]))
    assert 'data-team="team-618"' not in department.content.decode()
    client.force_login(UserFactory(username="hr-teams", groups=["HR editors"]))
    assert client.get(team_url()).status_code == 404
    shown = client.get(team_url(query="?archived=1"))
    assert shown.status_code == 200 and "618大促项目组" in shown.content.decode()
    assert (
        'data-team="team-618"' in client.get(reverse("teams:list") + "?archived=1").content.decode()
    )


def test_a_team_whose_owner_is_archived_is_hidden_with_it(viewer_client, seed_org):
    Role.objects.filter(code="marketing-planning-manager").update(is_active=False)
    assert viewer_client.get(team_url()).status_code == 404


def test_a_member_whose_role_is_archived_is_left_out(viewer_client, seed_org):
    Role.objects.filter(code="software-engineer").update(is_active=False)
    html = viewer_client.get(team_url()).content.decode()
    assert 'data-member="software-engineer"' not in html
    assert 'data-member="online-customer-service"' in html


def test_unknown_team_is_a_plain_404(viewer_client, seed_org):
    response = viewer_client.get(team_url("no-such-team"))
    assert response.status_code == 404 and "项目组已" not in response.content.decode()


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_team_pages_run_a_fixed_number_of_queries(
    org, request, viewer_client, django_assert_num_queries
):
    request.getfixturevalue(org)
    team = ProjectTeam.objects.order_by("code").first()
    assert ProjectTeam.objects.count() in (1, 50)
    with django_assert_num_queries(TEAM_LIST_QUERIES):
        assert viewer_client.get(reverse("teams:list")).status_code == 200
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        assert viewer_client.get(team_url(team.code)).status_code == 200


def test_a_team_with_an_owner_outside_its_members_shows_the_owner(viewer_client, seed_org):
    member = TeamMemberFactory(team__owner=Role.objects.get(code="data-analyst"))
    ProjectTeamFactory  # noqa: B018 - the factory made the team with the member
    html = viewer_client.get(team_url(member.team.code)).content.decode()
    assert "数据分析师" in html and 'data-member="data-analyst"' not in html


def search(client, **params):
    response = client.get(reverse("search:results"), params)
    assert response.status_code == 200
    return {group.kind: group for group in response.context["groups"]}


def test_search_finds_the_618_team_by_name_purpose_and_responsibility(viewer_client, seed_org):
    groups = search(viewer_client, q="618")
    assert [hit.url for hit in groups["teams"].hits] == [team_url()]
    assert "teams" in search(viewer_client, q="全渠道营销")  # the purpose
    by_responsibility = search(viewer_client, q="CPC")["teams"].hits[0]
    assert any("SEO/SEM优化师" in line for line in by_responsibility.context)
    assert "teams" in search(viewer_client, q="Shopping Festival")  # English name
    assert "teams" in search(viewer_client, q="618", department="digital-operations")
    assert "teams" not in search(viewer_client, q="618", department="finance")


def test_search_leaves_out_archived_and_closed_teams(viewer_client, seed_org):
    ProjectTeam.objects.filter(code=TEAM).update(status="closed")
    assert "teams" not in search(viewer_client, q="618")
