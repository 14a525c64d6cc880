"""The organisation health page and its CSV: the seed's figures, findings with their links."""

import csv
import io

from django.apps import apps
from django.urls import reverse

from departments.models import Department
from roles.models import Role
from tests.conftest import figures
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory, company_root

# Session, user (the page reads outside a transaction), the user's two permission lookups (for
# the admin links), then departments, roles, duties, and project teams with their members when
# that app is installed, and the organisation version that keys the cached health check: the
# same whatever the organisation's size.
INSIGHTS_QUERIES = 8 + 2 * apps.is_installed("teams")


def get_insights(client, language="zh-hans"):
    response = client.get(reverse("guide:insights"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_seed_shows_the_figures_a_reader_counts(viewer_client, seed_org):
    html = get_insights(viewer_client)
    shown = figures(html)

    assert shown["departments-below-root"] == "8"
    assert shown["depth"] == "2"
    assert shown["roles"] == "19"
    assert shown["duties"] == "60"
    assert shown["similar-duties"] == "0"
    # One manager, the company, with eight departments: all in the band 8–12.
    assert 'data-band="8–12">' in html
    company = '<li data-code="company"><a href="/departments/company/">互联网营销企业</a>'
    assert f'{company} <span class="pill">8</span>' in html
    assert "没有两个不同岗位的职责相近。" in html


def test_findings_link_to_the_page_and_for_hr_to_the_admin_form(client, db, hr_editor):
    department = DepartmentFactory(code="empty", parent=company_root())
    role = RoleFactory(code="idle")
    client.force_login(hr_editor)

    html = get_insights(client)

    assert f'<li data-code="empty"><a href="{department.get_absolute_url()}">' in html
    assert reverse("admin:departments_department_change", args=[department.pk]) in html
    assert f'<li data-code="idle"><a href="{role.get_absolute_url()}">' in html
    assert reverse("admin:roles_role_change", args=[role.pk]) in html


def test_viewers_get_no_admin_links(viewer_client, db):
    RoleFactory(code="idle")

    html = get_insights(viewer_client)

    assert '<li data-code="idle">' in html
    assert "/admin/roles/role/" not in html


def test_similar_duties_are_listed_with_both_roles(viewer_client, db):
    first = RoleFactory(code="a", title="数据分析师")
    second = RoleFactory(code="b", title="运营分析师")
    one = DutyFactory(role=first, text="监控活动数据(参与人数、分享率、转化率),迭代活动玩法")
    other = DutyFactory(role=second, text="监控活动数据(参与人数、转化率),迭代活动的玩法")

    html = get_insights(viewer_client)

    assert figures(html)["similar-duties"] == "1"
    assert f"/roles/a/#duty-{one.pk}" in html and f"/roles/b/#duty-{other.pk}" in html
    assert "数据分析师" in html and "运营分析师" in html


def test_the_page_speaks_english_and_traditional_chinese(viewer_client, seed_org):
    english = get_insights(viewer_client, "en")
    assert "Organisation health check" in english
    assert "Internet Marketing Company" in english

    traditional = get_insights(viewer_client, "zh-hant")
    assert "組織體檢" in traditional
    assert "互聯網營銷企業" in traditional or "網際網路營銷企業" in traditional


def test_the_page_runs_a_fixed_number_of_queries(
    viewer_client, large_org, django_assert_num_queries
):
    with django_assert_num_queries(INSIGHTS_QUERIES):
        html = get_insights(viewer_client)

    assert figures(html)["departments-below-root"] == "499"


def test_the_seed_runs_as_many_queries_as_a_large_organisation(
    viewer_client, seed_org, django_assert_num_queries
):
    with django_assert_num_queries(INSIGHTS_QUERIES):
        get_insights(viewer_client)


def test_an_empty_organisation_says_so(viewer_client, db):
    assert "还没有部门" in get_insights(viewer_client) or "no departments" in get_insights(
        viewer_client
    )


def test_the_csv_has_every_figure(viewer_client, seed_org):
    response = viewer_client.get(reverse("guide:insights-csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "section",
        "figure",
        "code",
        "name",
        "value",
        "other_code",
        "other_name",
        "detail",
    ]
    summary = {row[1]: row[4] for row in rows if row[0] == "summary"}
    assert summary["departments_below_root"] == "8"
    assert (summary["depth"], summary["roles"], summary["duties"]) == ("2", "19", "60")
    assert ["department_span", "band 8–12", "", "", "1", "", "", "1.0"] in rows
    assert [
        "department_span",
        "outside_target",
        "company",
        "互联网营销企业",
        "8",
        "",
        "",
        "",
    ] in rows
    seats = [row for row in rows if row[1] == "planned_seats_in_subtree"]
    assert len(seats) == 9


def test_a_change_shows_at_once(viewer_client, seed_org):
    get_insights(viewer_client)
    Role.objects.filter(code="data-analyst").update(is_active=False)
    Department.objects.get(code="finance").save()

    assert figures(get_insights(viewer_client))["roles"] == "18"


def test_the_header_links_both_pages(viewer_client, db):
    html = viewer_client.get(reverse("chart:home")).content.decode()

    assert f'href="{reverse("guide:guide")}"' in html
    assert f'href="{reverse("guide:insights")}"' in html
