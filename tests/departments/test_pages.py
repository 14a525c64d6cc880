"""The department page: place in the tree, sub-departments, roles with duties, access."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive
from tests.conftest import figures
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory, UserFactory

# Session, user (the page reads outside a transaction), the department with its ancestors,
# its direct children, their role totals and the colour of its branch (one query), its roles
# with their duties (one query), the two permission lookups for the edit link, and the project
# teams drawing on its subtree (with their members there, in one query). A first visit has no
# CSRF cookie yet, so it gets no ETag; later visits read the organisation version too
# (tests/orgportal/test_conditional.py).
DEPARTMENT_PAGE_QUERIES = 7


def department_url(code, query=""):
    return reverse("departments:detail", kwargs={"code": code}) + query


def test_department_page_needs_a_login(client, seed_org):
    response = client.get(department_url("digital-operations"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@override_settings(ORGPORTAL_PUBLIC_READ=True)
def test_department_page_is_readable_anonymously_when_public_read_is_on(client, seed_org):
    response = client.get(department_url("digital-operations"))

    assert response.status_code == 200
    assert "数字运营部" in response.content.decode()


def test_department_page_shows_breadcrumbs_tagline_and_positioning(viewer_client, seed_org):
    content = viewer_client.get(department_url("digital-operations")).content.decode()

    breadcrumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', content, re.S).group(0)
    assert reverse("chart:home") in breadcrumbs
    assert department_url("company") in breadcrumbs
    assert '<span aria-current="page">数字运营部</span>' in breadcrumbs
    assert "流量转化,渠道深耕" in content
    assert "通过数字渠道(搜索引擎、社交平台、电商平台)实现流量获取、转化与用户留存。" in content


def test_department_page_lists_roles_with_their_duties_grouped_by_area(viewer_client, seed_org):
    content = viewer_client.get(department_url("digital-operations")).content.decode()

    for code in ("seo-sem-specialist", "social-media-operations", "ecommerce-operations"):
        assert reverse("roles:detail", kwargs={"code": code}) in content
    seo = content.index(">SEO方向</h4>")
    sem = content.index(">SEM方向</h4>")
    assert seo < content.index("研究搜索引擎算法") < sem < content.index("搭建搜索引擎广告账户")
    assert content.count(">SEO方向</h4>") == 1


def test_department_page_labels_its_own_and_its_branchs_figures(viewer_client, seed_org):
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="seo-team", name="搜索优化组", parent=digital)
    squad = DepartmentFactory(code="seo-squad", parent=team)
    RoleFactory(department=team, headcount=4)
    RoleFactory(department=squad, headcount=5)
    archived = DepartmentFactory(code="old-team", name="旧小组", parent=digital)
    RoleFactory(department=archived, headcount=50)
    department_archive(department=archived)

    content = viewer_client.get(department_url("digital-operations")).content.decode()

    assert department_url("seo-team") in content
    assert "搜索优化组" in content
    assert department_url("seo-squad") not in content  # grandchildren are on the child's page
    assert "旧小组" not in content
    hero = re.search(r'<header class="hero">.*?</header>', content, re.S).group(0)
    assert figures(hero) == {
        "own-roles": "3",
        "branch-roles": "5",
        "branch-seats": "9+",  # 4 + 5, and the own roles' seats are not known
        "sub-departments": "1",
        "own-duties": "12",
    }
    for label in ("本部门岗位", "含下级岗位", "含下级计划编制", "下级部门", "本部门职责"):
        assert f"<dt>{label}</dt>" in hero


def test_roles_without_a_headcount_say_so_instead_of_one_seat(viewer_client, seed_org):
    content = viewer_client.get(department_url("finance")).content.decode()
    assert content.count("编制未定") == 2
    assert "1 个计划编制" not in content and "编制 1 人" not in content


def test_edit_link_shows_only_to_users_who_may_change_departments(
    client, seed_org, viewer, hr_editor
):
    department = Department.objects.get(code="finance")
    edit_url = reverse("admin:departments_department_change", args=[department.pk])
    client.force_login(viewer)
    as_viewer = client.get(department_url("finance")).content.decode()
    client.force_login(hr_editor)
    as_hr = client.get(department_url("finance")).content.decode()

    assert edit_url not in as_viewer
    assert edit_url in as_hr


def test_unknown_department_is_not_found_on_a_page_in_the_portal_style(viewer_client, seed_org):
    response = viewer_client.get(department_url("nowhere"))

    assert response.status_code == 404
    assert '<p class="empty-state__code">404</p>' in response.content.decode()
    assert f'href="{reverse("chart:home")}"' in response.content.decode()


def test_archived_department_is_hidden_unless_hr_asks_for_it(client, seed_org, viewer, hr_editor):
    department_archive(department=Department.objects.get(code="finance"))

    client.force_login(viewer)
    viewer_default = client.get(department_url("finance"))
    viewer_asking = client.get(department_url("finance", "?archived=1"))
    client.force_login(hr_editor)
    hr_default = client.get(department_url("finance"))
    hr_asking = client.get(department_url("finance", "?archived=1"))

    # Not shown (see test_an_old_link_to_an_archived_department_* for what the 404 says).
    assert viewer_default.status_code == 404
    assert viewer_asking.status_code == 404
    assert hr_default.status_code == 404
    assert hr_asking.status_code == 200
    assert "badge--archived" in hr_asking.content.decode()
    # Links from an archived page keep HR in the archived view.
    assert reverse("roles:detail", kwargs={"code": "financial-accountant"}) + "?archived=1" in (
        hr_asking.content.decode()
    )


def test_archived_roles_are_hidden_unless_hr_asks_for_them(client, seed_org, hr_editor):
    role = RoleFactory(
        department=Department.objects.get(code="finance"), title="旧岗位", is_active=False
    )
    DutyFactory(role=role, text="旧职责")
    client.force_login(hr_editor)

    default = client.get(department_url("finance")).content.decode()
    asking = client.get(department_url("finance", "?archived=1")).content.decode()

    assert "旧岗位" not in default
    assert "旧职责" not in default
    assert "旧岗位" in asking
    assert "旧职责" in asking


def test_department_page_links_to_its_card_on_the_chart(viewer_client, seed_org):
    content = viewer_client.get(department_url("finance")).content.decode()

    assert f'href="{reverse("chart:home")}?focus=finance#dept-finance"' in content


@pytest.mark.parametrize(
    ("org", "code"), [("seed_org", "digital-operations"), ("large_org", "gen-1")]
)
def test_department_page_runs_a_fixed_number_of_queries(
    org, code, request, viewer_client, django_assert_num_queries
):
    request.getfixturevalue(org)

    with django_assert_num_queries(DEPARTMENT_PAGE_QUERIES):
        response = viewer_client.get(department_url(code))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("org", "code"), [("seed_org", "digital-operations"), ("large_org", "gen-1")]
)
def test_archived_view_of_a_department_runs_a_fixed_number_of_queries(
    org, code, request, db, client, django_assert_num_queries
):
    request.getfixturevalue(org)
    department = Department.objects.get(code=code)
    department_archive(department=department)
    RoleFactory(department=department, is_active=False)
    client.force_login(UserFactory(username="hr-archive", groups=["HR editors"]))

    with django_assert_num_queries(DEPARTMENT_PAGE_QUERIES):
        response = client.get(department_url(code, "?archived=1"))

    assert response.status_code == 200


def test_an_old_link_to_an_archived_department_says_so_and_leads_on(client, seed_org, viewer):
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="seo-team", name="搜索优化组", parent=digital)
    squad = DepartmentFactory(code="seo-squad", name="搜索小队", parent=team)
    RoleFactory(department=squad, title="秘密岗位")
    department_archive(department=team)
    client.force_login(viewer)

    # Archiving the team archived the squad below it too.
    for code in ("seo-team", "seo-squad"):
        response = client.get(department_url(code))
        content = response.content.decode()
        assert response.status_code == 404
        assert "该部门已归档" in content
        main = content.split('<main id="main"')[1]
        assert "搜索优化组" not in main and "搜索小队" not in main and "秘密岗位" not in main
        # The nearest department that staff still see is 数字运营部, above the archived team.
        assert f'href="{department_url("digital-operations")}"' in main
        assert "前往“数字运营部”" in main
        assert "?archived=1" not in main  # a viewer may not ask for archived items


def test_an_unknown_department_is_a_plain_404(viewer_client, seed_org):
    response = viewer_client.get(department_url("never-was"))
    assert response.status_code == 404
    assert "该部门已归档" not in response.content.decode()
    assert "前往" not in response.content.decode()


def test_hr_on_an_old_link_may_open_the_archived_department(client, seed_org, hr_editor):
    department_archive(department=Department.objects.get(code="finance"))
    client.force_login(hr_editor)
    content = client.get(department_url("finance")).content.decode()
    assert 'href="?archived=1"' in content


def test_hiding_archived_items_from_an_archived_department_leads_to_its_visible_parent(
    client, seed_org, hr_editor
):
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="seo-team", parent=digital)
    department_archive(department=team)
    client.force_login(hr_editor)

    content = client.get(department_url("seo-team", "?archived=1")).content.decode()
    hero = re.search(r'<header class="hero">.*?</header>', content, re.S).group(0)

    toggle = re.search(r'<a class="button[^"]*button--toggled" href="([^"]+)"', hero)
    assert toggle, "no way back from the archived view"
    assert toggle.group(1) == department_url("digital-operations")
    assert "隐藏已归档" in hero
    assert client.get(toggle.group(1)).status_code == 200
