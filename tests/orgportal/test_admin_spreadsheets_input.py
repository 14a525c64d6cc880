"""HR's spreadsheets in the admin: input that would lose what a row says is refused, row by row.

Two rows with one key (the second would overwrite the first), a cell under no header, a
fractional number: each is the row's or the file's error, and nothing is written.
"""

import io

import openpyxl
import pytest
from openpyxl.styles import Font

from departments.models import Department
from roles.models import Duty, Role
from roles.resources import RoleResource
from teams.models import ProjectTeam, TeamMember
from tests.orgportal import test_admin_spreadsheets
from tests.orgportal.test_admin_spreadsheets import (
    confirm,
    csv_file,
    label,
    preview,
    row_errors,
    stored,
    xlsx_file,
)

# A logged-in HR editor in the admin (a fixture, shared with the module that defines it).
hr_admin = test_admin_spreadsheets.hr_admin

# The project-team admin imports teams (its first resource) and their members (its second).
MEMBERS = "1"


def assert_refused(previewed, model, before):
    assert previewed.context.get("confirm_form") is None
    assert stored(model) == before


# -- two rows with one key -------------------------------------------------------------------


def test_two_rows_with_the_same_department_code_are_an_error(hr_admin):
    before = stored(Department)
    content = csv_file(
        ["code", "parent", "name"],
        ["new-a", "finance", "甲"],
        ["other", "finance", "丙"],
        ["new-a", "finance", "乙"],
    )

    previewed = preview(hr_admin, Department, content, "csv")

    assert_refused(previewed, Department, before)
    # The first row is the one the others repeat: only the repeat is an error.
    assert row_errors(previewed) == {4: {"代码": ["与第 2 行的代码相同。"]}}


def test_a_repeated_department_is_an_error_where_its_row_stands_in_the_file(hr_admin):
    """Rows are imported children after parents; the error still names the file's rows."""
    content = csv_file(
        ["code", "parent", "name"],
        ["child", "new-parent", "子"],
        ["new-parent", "finance", "父"],
        ["child", "finance", "又一个子"],
    )

    previewed = preview(hr_admin, Department, content, "csv")

    assert previewed.context.get("confirm_form") is None
    assert row_errors(previewed) == {4: {"代码": ["与第 2 行的代码相同。"]}}


def test_two_rows_for_the_same_role_are_an_error(hr_admin):
    before = stored(Role)
    content = csv_file(
        ["code", "department", "title"],
        ["new-r", "finance", "甲"],
        ["new-r", "finance", "乙"],
    )

    previewed = preview(hr_admin, Role, content, "csv")

    assert_refused(previewed, Role, before)
    assert row_errors(previewed) == {3: {"代码": ["与第 2 行的代码相同。"]}}


@pytest.mark.parametrize("second", ["99", "99.0", " 99 "])
def test_two_duties_at_the_same_position_are_an_error(hr_admin, second):
    before = stored(Duty)
    content = csv_file(
        ["role", "sort_order", "area", "text"],
        ["seo-sem-specialist", "99", "", "甲"],
        ["seo-sem-specialist", second, "", "乙"],
    )

    previewed = preview(hr_admin, Duty, content, "csv")

    assert_refused(previewed, Duty, before)
    assert row_errors(previewed) == {3: {"岗位代码": ["与第 2 行的岗位代码 和 序号相同。"]}}


def test_duties_of_one_role_at_different_positions_are_fine(hr_admin):
    content = csv_file(
        ["role", "sort_order", "area", "text"],
        ["seo-sem-specialist", "98", "", "甲"],
        ["seo-sem-specialist", "99", "", "乙"],
    )

    previewed = preview(hr_admin, Duty, content, "csv")

    assert row_errors(previewed) == {}
    confirm(hr_admin, Duty, previewed)
    role = Role.objects.get(code="seo-sem-specialist")
    assert role.duties.get(sort_order=97).text == "甲"
    assert role.duties.get(sort_order=98).text == "乙"


def test_two_rows_with_the_same_team_code_are_an_error(hr_admin):
    before = stored(ProjectTeam)
    content = csv_file(
        ["code", "name", "owner", "status"],
        ["new-team", "甲", "marketing-planning-manager", "active"],
        ["new-team", "乙", "marketing-planning-manager", "active"],
    )

    previewed = preview(hr_admin, ProjectTeam, content, "csv")

    assert_refused(previewed, ProjectTeam, before)
    assert row_errors(previewed) == {3: {"代码": ["与第 2 行的代码相同。"]}}


def test_two_rows_for_the_same_team_member_are_an_error(hr_admin):
    before = stored(TeamMember)
    content = csv_file(
        ["team", "role", "responsibility"],
        ["team-618", "seo-sem-specialist", "甲"],
        ["team-618", "seo-sem-specialist", "乙"],
    )

    previewed = preview(hr_admin, ProjectTeam, content, "csv", resource=MEMBERS)

    assert_refused(previewed, TeamMember, before)
    assert row_errors(previewed) == {3: {"项目组代码": ["与第 2 行的项目组代码 和 岗位代码相同。"]}}


def test_the_repeat_error_is_said_in_the_admins_language(hr_admin):
    content = csv_file(
        ["team", "role", "responsibility"],
        ["team-618", "seo-sem-specialist", "甲"],
        ["team-618", "seo-sem-specialist", "乙"],
    )
    hr_admin.cookies["django_language"] = "en"

    previewed = preview(hr_admin, ProjectTeam, content, "csv", resource=MEMBERS)

    assert row_errors(previewed) == {
        3: {"team code": ["The same team code and role code as row 2."]}
    }


# -- a cell under no header ------------------------------------------------------------------


def test_a_value_in_an_xlsx_column_without_a_header_is_not_dropped(hr_admin):
    before = stored(Department)
    content = xlsx_file(
        ["code", "parent", "name", None],
        ["new-x", "finance", "甲", "这段文字会丢失"],
    )

    previewed = preview(hr_admin, Department, content, "xlsx")

    assert_refused(previewed, Department, before)
    # As the same file in CSV: "Unknown columns: “”".
    assert "无法识别的列:“”" in previewed.content.decode()


def test_an_xlsx_value_beyond_a_blank_header_and_an_empty_column_is_not_dropped(hr_admin):
    before = stored(Department)
    content = xlsx_file(
        ["code", "parent", "name"],
        ["new-x", "finance", "甲"],
        ["new-y", "finance", "乙", None, "备注"],
    )

    previewed = preview(hr_admin, Department, content, "xlsx")

    assert_refused(previewed, Department, before)


def test_an_xlsx_with_empty_trailing_columns_and_excel_numbers_imports(hr_admin):
    """Spreadsheet programs keep formatted empty cells after the last column, and store every
    number as a float: neither is a reason to refuse the file."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "department", "title", "headcount", ""])
    sheet.append(["new-r", "finance", "新岗位", 3.0, ""])
    sheet.append([None, None, None, None, None])
    # A formatted cell that holds nothing, in a column of its own.
    sheet.cell(row=2, column=7).font = Font(bold=True)
    stream = io.BytesIO()
    book.save(stream)

    previewed = preview(hr_admin, Role, stream.getvalue(), "xlsx")

    assert row_errors(previewed) == {}
    confirm(hr_admin, Role, previewed)
    role = Role.objects.get(code="new-r")
    assert (role.title, role.headcount) == ("新岗位", 3)


# -- whole numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("headcount", ["3.5", "0.1", "three", "NaN", "Infinity"])
def test_a_headcount_that_is_not_a_whole_number_is_an_error_not_truncated(hr_admin, headcount):
    before = stored(Role)
    content = csv_file(
        ["code", "department", "title", "headcount"], ["new-r", "finance", "甲", headcount]
    )

    previewed = preview(hr_admin, Role, content, "csv")

    assert_refused(previewed, Role, before)
    assert row_errors(previewed) == {
        2: {label("headcount", RoleResource): [f"“{headcount}”不是整数。"]}
    }


def test_a_fractional_headcount_in_xlsx_is_an_error(hr_admin):
    content = xlsx_file(
        ["code", "department", "title", "headcount"], ["new-r", "finance", "甲", 3.5]
    )

    previewed = preview(hr_admin, Role, content, "xlsx")

    assert previewed.context.get("confirm_form") is None
    assert list(row_errors(previewed)) == [2]


@pytest.mark.parametrize("headcount", ["3", "3.0", " 3 ", "3.00"])
def test_a_whole_headcount_imports(hr_admin, headcount):
    content = csv_file(
        ["code", "department", "title", "headcount"], ["new-r", "finance", "甲", headcount]
    )

    confirm(hr_admin, Role, preview(hr_admin, Role, content, "csv"))

    assert Role.objects.get(code="new-r").headcount == 3
