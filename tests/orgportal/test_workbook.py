"""The whole-organisation workbook: its sheets, its downloads and its way back into the admin."""

import io

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from departments.models import Department
from departments.resources import DepartmentResource
from departments.services import department_archive
from orgportal.i18n import to_traditional
from orgportal.orgfiles.spreadsheets import display_width, new_workbook, workbook_bytes, write_sheet
from orgportal.orgfiles.workbook import workbook_row_count
from roles.models import Duty, Role
from roles.resources import DutyResource, RoleResource
from teams.models import ProjectTeam, TeamMember
from teams.resources import ProjectTeamResource, TeamMemberResource
from tests.conftest import token_client
from tests.factories import (
    DepartmentFactory,
    ProjectTeamFactory,
    RoleFactory,
    TeamMemberFactory,
    UserFactory,
)
from tests.orgportal.test_admin_spreadsheets import confirm, preview, stored

WORKBOOK = reverse("orgfiles:workbook")
API_EXPORT = "/api/v1/export/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def label(resource, key):
    """Return the header of a resource's column, as the active language writes it."""
    return str(resource.fields[key].column_name)


def open_workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows(sheet):
    """Return a sheet's rows below its headers, as dicts by header."""
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_the_workbook_has_the_seeds_departments_roles_and_duties(seed_org, viewer_client):
    book = open_workbook(viewer_client.get(WORKBOOK))

    assert book.sheetnames == ["部门", "岗位", "职责", "项目组", "项目组成员"]
    departments, roles, duties, teams, members = (rows(book[name]) for name in book.sheetnames)
    # The company is the workbook's organisation, not a row: the 8 departments below it.
    assert len(departments) == 8 == Department.objects.filter(level=1).count()
    assert "互联网营销企业" not in [row[label(DepartmentResource, "name")] for row in departments]
    assert len(roles) == 19
    assert len(duties) == 60
    digital = next(row for row in departments if row["代码"] == "digital-operations")
    assert digital["路径"] == "数字运营部"
    assert digital[label(DepartmentResource, "positioning")].startswith("通过数字渠道")
    assert digital["本部门岗位数"] == 3
    # The seed plans no seats: unknown, not zero.
    assert digital["含下级计划编制"] is None
    assert digital["含下级编制未定岗位"] == 3
    seo = next(row for row in roles if row["代码"] == "seo-sem-specialist")
    assert seo["部门路径"] == "数字运营部"
    assert seo["计划编制"] is None
    first = next(row for row in duties if row["岗位代码"] == "seo-sem-specialist")
    assert (first["岗位"], first[label(DutyResource, "area")], first["序号"]) == (
        "SEO/SEM优化师",
        "SEO方向",
        1,
    )
    # The matrix: the seed's 618 team, its Owner and its members by role code, in order.
    [team] = teams
    assert team[label(ProjectTeamResource, "code")] == "team-618"
    assert team[label(ProjectTeamResource, "name")] == "618大促项目组"
    assert team[label(ProjectTeamResource, "owner")] == "marketing-planning-manager"
    stored_members = TeamMember.objects.filter(team__code="team-618").order_by("sort_order")
    assert [row[label(TeamMemberResource, "role")] for row in members] == [
        member.role.code for member in stored_members
    ]
    assert {row[label(TeamMemberResource, "team")] for row in members} == {"team-618"}


def test_every_sheet_has_frozen_filtered_headers_and_fitting_widths(seed_org, viewer_client):
    book = open_workbook(viewer_client.get(WORKBOOK))

    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert all(cell.font.b for cell in sheet[1])
    duties = book["职责"]
    text_column = [cell.value for cell in duties[1]].index(label(DutyResource, "text")) + 1
    # A column of long Chinese duties is wide (a Chinese character counts double), up to 60.
    assert duties.column_dimensions[openpyxl.utils.get_column_letter(text_column)].width == 60


def test_the_workbook_speaks_the_interface_language(seed_org, viewer_client):
    viewer_client.post(reverse("set_language"), {"language": "en", "next": "/"})

    book = open_workbook(viewer_client.get(WORKBOOK))

    assert book.sheetnames == ["Departments", "Roles", "Duties", "Project teams", "Team members"]
    departments = rows(book["Departments"])
    digital = next(row for row in departments if row["code"] == "digital-operations")
    with translation.override("en"):
        name = label(DepartmentResource, "name_en")
    assert digital[name] == "Digital Operations"
    assert digital["path"] == "Digital Operations"
    assert (
        digital["tagline (English)"] == Department.objects.get(code="digital-operations").tagline_en
    )


def test_the_workbook_speaks_traditional_chinese(seed_org, viewer_client):
    viewer_client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})

    book = open_workbook(viewer_client.get(WORKBOOK))

    with translation.override("zh-hant"):
        sheets = [
            str(model._meta.verbose_name_plural)
            for model in (Department, Role, Duty, ProjectTeam, TeamMember)
        ]
        name = label(DepartmentResource, "name_zh_hant")
    assert book.sheetnames == sheets and sheets[0] == "部門"
    digital = next(row for row in rows(book.worksheets[0]) if row["代碼"] == "digital-operations")
    assert digital[name] == Department.objects.get(code="digital-operations").name_zh_hant
    assert digital[name] == to_traditional("数字运营部")


def test_a_department_page_downloads_its_branch(seed_org, viewer_client):
    url = reverse("orgfiles:department-workbook", kwargs={"code": "digital-operations"})

    book = open_workbook(viewer_client.get(url))

    departments = rows(book["部门"])
    assert [row["代码"] for row in departments] == ["digital-operations"]
    assert {row["代码"] for row in rows(book["岗位"])} == set(
        Role.objects.filter(department__code="digital-operations").values_list("code", flat=True)
    )
    # The 618 team draws on the branch: only the branch's members are listed.
    assert [row["代码"] for row in rows(book["项目组"])] == ["team-618"]
    branch_members = TeamMember.objects.filter(role__department__code="digital-operations")
    listed = [row["岗位代码"] for row in rows(book["项目组成员"])]
    assert listed == list(
        branch_members.order_by("sort_order").values_list("role__code", flat=True)
    )
    assert listed and TeamMember.objects.count() > len(listed)


def test_a_branch_the_teams_do_not_draw_on_has_no_team_rows(seed_org, viewer_client):
    drawn = set(TeamMember.objects.values_list("role__department__code", flat=True))
    drawn.add(ProjectTeam.objects.get(code="team-618").owner.department.code)
    undrawn = Department.objects.filter(level=1).exclude(code__in=drawn).first()
    url = reverse("orgfiles:department-workbook", kwargs={"code": undrawn.code})

    book = open_workbook(viewer_client.get(url))

    assert rows(book["项目组"]) == [] and rows(book["项目组成员"]) == []


def test_the_workbook_holds_nothing_archived(seed_org, viewer_client):
    department_archive(department=Department.objects.get(code="digital-operations"))
    Role.objects.filter(code="visual-designer").update(is_active=False)

    book = open_workbook(viewer_client.get(WORKBOOK))

    assert "digital-operations" not in [row["代码"] for row in rows(book["部门"])]
    roles = [row["代码"] for row in rows(book["岗位"])]
    assert "seo-sem-specialist" not in roles and "visual-designer" not in roles
    assert len(rows(book["职责"])) == Duty.objects.visible().count()
    # Members below the archived department are hidden with it; the team and its others stay.
    members = [row["岗位代码"] for row in rows(book["项目组成员"])]
    assert "seo-sem-specialist" not in members and "campaign-operations" in members
    team = ProjectTeam.objects.get(code="team-618")
    team.is_active = False
    team.save()
    book = open_workbook(viewer_client.get(WORKBOOK))
    assert rows(book["项目组"]) == [] and rows(book["项目组成员"]) == []


def test_reading_the_workbook_needs_a_login(seed_org, client):
    response = client.get(WORKBOOK)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    url = reverse("orgfiles:department-workbook", kwargs={"code": "digital-operations"})
    assert client.get(url).status_code == 302
    with override_settings(ORGPORTAL_PUBLIC_READ=True):
        assert client.get(WORKBOOK).status_code == 200


def test_an_archived_departments_workbook_is_not_found(seed_org, viewer_client):
    department_archive(department=Department.objects.get(code="digital-operations"))
    url = reverse("orgfiles:department-workbook", kwargs={"code": "digital-operations"})
    assert viewer_client.get(url).status_code == 404
    assert viewer_client.get(url + "?archived=1").status_code == 404


def test_the_download_buttons_are_on_the_chart_and_department_pages(seed_org, viewer_client):
    chart = viewer_client.get(reverse("chart:home")).content.decode()
    assert f'href="{WORKBOOK}"' in chart
    department = viewer_client.get(
        reverse("departments:detail", kwargs={"code": "digital-operations"})
    ).content.decode()
    assert (
        reverse("orgfiles:department-workbook", kwargs={"code": "digital-operations"}) in department
    )


@pytest.mark.parametrize("language", ["zh-hans", "en", "zh-hant"])
def test_reimporting_the_workbook_in_the_admin_changes_nothing(seed_org, client, language):
    client.force_login(UserFactory(username="hr-admin", is_staff=True, groups=["HR editors"]))
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    content = client.get(WORKBOOK).content
    models = (Department, Role, Duty, ProjectTeam, TeamMember)
    before = {model: stored(model) for model in models}
    members = TeamMember.objects.count()

    # The team admin imports teams (its first resource) and members (its second).
    for model, admin_model, resource in (
        (Department, Department, "0"),
        (Role, Role, "0"),
        (Duty, Duty, "0"),
        (ProjectTeam, ProjectTeam, "0"),
        (TeamMember, ProjectTeam, "1"),
    ):
        previewed = preview(client, admin_model, content, "xlsx", resource=resource)
        result = previewed.context["result"]
        assert not result.has_validation_errors() and not result.has_errors(), model
        # Each admin (and each of the team admin's resources) reads its own sheet.
        expected = {Department: 8, Role: 19, Duty: 60, ProjectTeam: 1, TeamMember: members}
        assert result.totals["skip"] == expected[model], model
        confirm(client, admin_model, previewed)

    assert {model: stored(model) for model in models} == before


def test_the_api_exports_the_workbook(seed_org, hr_editor):
    response = token_client(hr_editor).get(API_EXPORT, {"format": "xlsx"})

    book = open_workbook(response)
    assert book.sheetnames == ["部门", "岗位", "职责", "项目组", "项目组成员"]
    assert len(rows(book["职责"])) == 60
    assert "attachment;" in response["Content-Disposition"]


def test_the_apis_workbook_follows_accept_language(seed_org, hr_editor):
    response = token_client(hr_editor).get(
        API_EXPORT, {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert open_workbook(response).sheetnames[:3] == ["Departments", "Roles", "Duties"]


def test_the_apis_workbook_needs_the_exports_permission(seed_org, viewer):
    assert APIClient().get(API_EXPORT, {"format": "xlsx"}).status_code == 401
    response = token_client(viewer).get(API_EXPORT, {"format": "xlsx"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_the_schema_documents_the_workbook(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    export = schema["paths"]["/api/v1/export/"]["get"]
    assert XLSX in export["responses"]["200"]["content"]
    [parameter] = [p for p in export["parameters"] if p["name"] == "format"]
    assert "xlsx" in parameter["schema"]["enum"]


def test_the_workbook_is_made_once_until_the_organisation_changes(
    seed_org, viewer_client, django_assert_num_queries
):
    first = viewer_client.get(WORKBOOK).content
    # The request's savepoint and its release, the session, the user, the company's name and
    # the organisation version.
    with django_assert_num_queries(6):
        assert viewer_client.get(WORKBOOK).content == first
    role = Role.objects.get(code="seo-sem-specialist")
    role.title = "搜索优化师"
    role.save()
    book = open_workbook(viewer_client.get(WORKBOOK))
    assert "搜索优化师" in [row[label(RoleResource, "title")] for row in rows(book["岗位"])]


def test_a_workbook_runs_the_same_queries_whatever_the_organisation_holds(seed_org, viewer_client):
    def queries():
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            open_workbook(viewer_client.get(WORKBOOK))
        return len(captured)

    seed = queries()
    for number in range(3):
        department = DepartmentFactory(parent=seed_org)
        roles = RoleFactory.create_batch(3, department=department)
        team = ProjectTeamFactory(code=f"extra-{number}", owner=roles[0])
        for role in roles:
            TeamMemberFactory(team=team, role=role)

    assert queries() == seed


def test_a_workbook_that_would_not_fit_a_sheet_is_refused_with_the_way_on(
    seed_org, viewer_client, hr_editor
):
    # The seed's longest sheet is its 60 duties; a limit below that stands for Excel's.
    with override_settings(ORGPORTAL_WORKBOOK_MAX_ROWS=59):
        page = viewer_client.get(WORKBOOK)
        api = token_client(hr_editor).get(API_EXPORT, {"format": "xlsx"})
        branch = viewer_client.get(
            reverse("orgfiles:department-workbook", kwargs={"code": "digital-operations"})
        )

    assert page.status_code == 413
    text = page.content.decode()
    assert "60" in text and "59" in text and "export_org" in text
    assert api.status_code == 413
    assert api["Content-Type"] == "application/json"
    error = api.json()["error"]
    assert error["code"] == "too_large" and "60" in error["message"] and "yaml" in error["message"]
    # A branch's workbook is smaller and still made.
    assert open_workbook(branch).sheetnames[0] == "部门"
    # A refused branch leads on to its department's page, where its parts' workbooks are.
    with override_settings(ORGPORTAL_WORKBOOK_MAX_ROWS=1):
        refused = viewer_client.get(
            reverse("orgfiles:department-workbook", kwargs={"code": "digital-operations"})
        )
    assert refused.status_code == 413
    page = refused.content.decode()
    assert reverse("departments:detail", kwargs={"code": "digital-operations"}) in page
    assert f'href="{reverse("chart:home")}"' in page


def test_the_row_count_counts_what_staff_see(seed_org):
    assert workbook_row_count() == Duty.objects.visible().count() == 60
    department_archive(department=Department.objects.get(code="digital-operations"))
    assert workbook_row_count() == Duty.objects.visible().count()
    top = Department.objects.get(code="finance")
    assert workbook_row_count(top=top) == Duty.objects.filter(role__department=top).count()


def test_a_written_sheet_measures_columns_by_display_width_and_keeps_text_as_text():
    workbook = new_workbook()
    long_line = "职责" * 40  # 160 widths: wraps, and its column stops at 60
    write_sheet(
        workbook,
        "职责/清单",
        ["code", "名称"],
        [
            ["a-1", "“引号”中文"],  # curly quotes are one width each, Chinese two
            ["=SUM(A1)", ""],
            [7, long_line],
            ["plain", "line one\n" + "中" * 12],
        ],
    )
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook)))

    [sheet] = book.worksheets
    assert sheet.title == "职责-清单"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions == "A1:B5"
    assert [cell.value for cell in sheet["A"]] == ["code", "a-1", "=SUM(A1)", 7, "plain"]
    formula = sheet["A3"]
    assert formula.data_type == "s" and formula.quotePrefix
    assert sheet["B3"].value is None  # an empty text is an empty cell
    assert sheet.column_dimensions["A"].width == 8 + 2  # "=SUM(A1)": 8 widths, plus 2
    assert sheet.column_dimensions["B"].width == 60
    assert sheet["B4"].alignment.wrap_text
    assert not sheet["B2"].alignment.wrap_text and not sheet["B5"].alignment.wrap_text
    assert display_width("“引号”中文") == 2 + 4 + 4
    assert display_width("ab") == 2 and display_width(12345) == 5


def test_workbooks_are_written_through_lxml():
    # openpyxl falls back to a pure-Python XML writer, several times slower, without lxml.
    assert openpyxl.LXML
