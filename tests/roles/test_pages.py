"""The role page: title, department path, reporting lines, duties by area, access."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive
from roles.models import Role
from tests.conftest import figures
from tests.factories import DutyFactory, RoleFactory, UserFactory

# Session, user (the page reads outside a transaction), the role with its department and
# reports-to, its duties, its department path, the colour of its branch, its direct reports,
# and the two permission lookups for the edit link, and its project teams: its memberships,
# then the teams it owns without being a member. A first visit has no CSRF cookie yet, so
# it gets no ETag; later visits read the organisation version too.
ROLE_PAGE_QUERIES = 11


def role_url(code, query=""):
    return reverse("roles:detail", kwargs={"code": code}) + query


def test_role_page_needs_a_login(client, seed_org):
    response = client.get(role_url("seo-sem-specialist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@override_settings(ORGPORTAL_PUBLIC_READ=True)
def test_role_page_is_readable_anonymously_when_public_read_is_on(client, seed_org):
    assert client.get(role_url("seo-sem-specialist")).status_code == 200


def test_role_page_shows_title_department_path_and_headcount(viewer_client, seed_org):
    role = Role.objects.get(code="seo-sem-specialist")
    role.summary = "负责搜索渠道的自然流量与付费流量。"
    role.headcount = 3
    role.save()

    content = viewer_client.get(role_url("seo-sem-specialist")).content.decode()

    assert "<title>SEO/SEM优化师 · " in content
    assert "SEO/SEM Specialist" in content
    breadcrumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', content, re.S).group(0)
    company = reverse("departments:detail", kwargs={"code": "company"})
    digital = reverse("departments:detail", kwargs={"code": "digital-operations"})
    assert breadcrumbs.index(company) < breadcrumbs.index(digital)
    assert "负责搜索渠道的自然流量与付费流量。" in content
    hero = re.search(r'<header class="hero">.*?</header>', content, re.S).group(0)
    assert re.findall(r"<dd>(\d+)</dd>", hero) == ["3", "6", "0"]


def test_role_page_shows_duties_grouped_by_area_in_order(viewer_client, seed_org):
    content = viewer_client.get(role_url("seo-sem-specialist")).content.decode()

    seo = content.index(">SEO方向</h3>")
    sem = content.index(">SEM方向</h3>")
    assert seo < content.index("研究搜索引擎算法") < content.index("产出SEO友好型内容") < sem
    assert sem < content.index("搭建搜索引擎广告账户") < content.index("控制CPC")
    assert len(re.findall(r'<li class="duty-list__item" id="duty-\d+">', content)) == 6


def test_duties_of_several_areas_come_together_under_their_area(viewer_client, db):
    role = RoleFactory()
    DutyFactory(role=role, area="甲", text="甲一")
    DutyFactory(role=role, area="乙", text="乙一")
    DutyFactory(role=role, area="甲", text="甲二")

    content = viewer_client.get(role_url(role.code)).content.decode()

    assert content.count(">甲</h3>") == 1
    assert content.index(">甲</h3>") < content.index("甲一") < content.index("甲二")
    assert content.index("甲二") < content.index(">乙</h3>") < content.index("乙一")


def test_role_page_shows_whom_it_reports_to_and_its_direct_reports(viewer_client, seed_org):
    manager = Role.objects.get(code="marketing-planning-manager")
    role = Role.objects.get(code="seo-sem-specialist")
    role.reports_to = manager
    role.save()
    report = RoleFactory(reports_to=role, title="SEO助理")
    RoleFactory(reports_to=role, title="已归档助理", is_active=False)

    content = viewer_client.get(role_url(role.code)).content.decode()

    lines = re.search(r'aria-labelledby="lines-title".*?</section>', content, re.S).group(0)
    assert role_url(manager.code) in lines
    assert "营销策划经理" in lines
    assert role_url(report.code) in lines
    assert "已归档助理" not in lines


def test_role_page_shows_the_english_title_first_in_english(client, viewer, seed_org):
    client.force_login(viewer)

    content = client.get(role_url("seo-sem-specialist"), HTTP_ACCEPT_LANGUAGE="en").content
    content = content.decode()

    title = re.search(r'<h1 class="hero__title">(.*?)</h1>', content, re.S).group(1)
    assert title.strip() == "SEO/SEM Specialist"
    assert '<p class="hero__alt" lang="zh-Hans">SEO/SEM优化师</p>' in content
    assert "Digital Operations" in content


def test_edit_link_shows_only_to_users_who_may_change_roles(client, seed_org, viewer, hr_editor):
    role = Role.objects.get(code="data-analyst")
    edit_url = reverse("admin:roles_role_change", args=[role.pk])
    client.force_login(viewer)
    as_viewer = client.get(role_url(role.code)).content.decode()
    client.force_login(hr_editor)
    as_hr = client.get(role_url(role.code)).content.decode()

    assert edit_url not in as_viewer
    assert edit_url in as_hr


def test_unknown_role_is_not_found(viewer_client, seed_org):
    assert viewer_client.get(role_url("nobody")).status_code == 404


def test_archived_role_is_hidden_unless_hr_asks_for_it(client, seed_org, viewer, hr_editor):
    Role.objects.filter(code="data-analyst").update(is_active=False)

    client.force_login(viewer)
    viewer_asking = client.get(role_url("data-analyst", "?archived=1"))
    client.force_login(hr_editor)
    hr_default = client.get(role_url("data-analyst"))
    hr_asking = client.get(role_url("data-analyst", "?archived=1"))

    assert viewer_asking.status_code == 404
    assert hr_default.status_code == 404
    assert hr_asking.status_code == 200
    assert "badge--archived" in hr_asking.content.decode()
    toggle = re.search(r'button--toggled" href="([^"]+)"', hr_asking.content.decode())
    assert toggle.group(1) == reverse("departments:detail", kwargs={"code": "data-technology"})


def test_role_of_an_archived_department_is_hidden(viewer_client, seed_org):
    department_archive(department=Department.objects.get(code="finance"))

    response = viewer_client.get(role_url("financial-accountant"))
    content = response.content.decode()
    assert response.status_code == 404
    assert "该岗位位于已归档的部门之下" in content
    main = content.split('<main id="main"')[1]
    assert "财务会计" not in main and "财务部" not in main
    assert f'href="{reverse("departments:detail", kwargs={"code": "company"})}"' in main


def test_an_archived_role_in_a_shown_department_leads_to_that_department(viewer_client, seed_org):
    Role.objects.filter(code="data-analyst").update(is_active=False)
    content = viewer_client.get(role_url("data-analyst")).content.decode()
    assert "该岗位已归档" in content
    assert "前往“数据与技术部”" in content
    assert "数据分析师" not in content.split('<main id="main"')[1]


def connect_reporting_lines(role):
    """Give ``role`` a manager in another department and three direct reports."""
    manager = Role.objects.exclude(department=role.department).first()
    role.reports_to = manager
    role.save()
    for number in range(3):
        RoleFactory(reports_to=role, code=f"report-{number}")


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_role_page_runs_a_fixed_number_of_queries(
    org, request, viewer_client, django_assert_num_queries
):
    request.getfixturevalue(org)
    role = Role.objects.filter(department__level=1).last()
    connect_reporting_lines(role)

    with django_assert_num_queries(ROLE_PAGE_QUERIES):
        response = viewer_client.get(role_url(role.code))

    assert response.status_code == 200


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_archived_view_of_a_role_runs_a_fixed_number_of_queries(
    org, request, db, client, django_assert_num_queries
):
    request.getfixturevalue(org)
    role = Role.objects.filter(department__level=1).last()
    connect_reporting_lines(role)
    Role.objects.filter(pk=role.pk).update(is_active=False)
    client.force_login(UserFactory(username="hr-archive", groups=["HR editors"]))

    with django_assert_num_queries(ROLE_PAGE_QUERIES):
        response = client.get(role_url(role.code, "?archived=1"))

    assert response.status_code == 200


def test_role_page_says_when_its_planned_seats_are_not_known(viewer_client, seed_org):
    content = viewer_client.get(role_url("data-analyst")).content.decode()
    hero = re.search(r'<header class="hero">.*?</header>', content, re.S).group(0)

    assert figures(hero)["role-seats"] == "—"
    assert "<dt>计划编制</dt>" in hero and "尚未规划" in hero


def test_role_page_shows_a_known_headcount(viewer_client, seed_org):
    Role.objects.filter(code="data-analyst").update(headcount=2)
    content = viewer_client.get(role_url("data-analyst")).content.decode()
    assert figures(content)["role-seats"] == "2"
