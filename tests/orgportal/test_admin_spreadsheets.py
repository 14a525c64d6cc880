"""HR's spreadsheets in the admin: export and import of departments, roles and duties."""

import csv
import io

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import translation

from departments.models import Department
from departments.resources import DepartmentResource
from departments.services import department_archive, tree_problems
from orgportal.orgfiles.spreadsheets import ImportFileStorage
from roles.models import Duty, Role
from roles.resources import RoleResource
from teams.models import ProjectTeam
from tests.factories import DutyFactory, RoleFactory, UserFactory

# The admin offers xlsx first, CSV second (orgportal/orgfiles/spreadsheets.py, formats_for).
FORMATS = {"xlsx": "0", "csv": "1"}
MODELS = [Department, Role, Duty, ProjectTeam]


def admin_url(model, view):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def export(client, model, fmt):
    response = client.post(admin_url(model, "export"), {"format": FORMATS[fmt], "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    return response.content


def preview(client, model, content, fmt, resource="0"):
    """Upload a file to the admin's import (``resource``: which of the admin's resources):
    the preview, which writes nothing."""
    upload = SimpleUploadedFile(f"upload.{fmt}", content)
    return client.post(
        admin_url(model, "import"),
        {"format": FORMATS[fmt], "resource": resource, "import_file": upload},
    )


def confirm(client, model, previewed):
    """Confirm a previewed import, as the preview's button does."""
    form = previewed.context["confirm_form"]
    assert form is not None, "the preview offers no confirmation"
    return client.post(admin_url(model, "process_import"), form.initial)


def csv_file(header, *rows):
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def xlsx_file(*rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def row_errors(previewed):
    """Return a preview's row errors by the row's number in the spreadsheet (headers: row 1)."""
    result = previewed.context["result"]
    return {row.number: row.error_dict for row in result.invalid_rows}


def label(key, resource=DepartmentResource):
    """Return the header of a resource's column, as the active language writes it."""
    return str(resource.fields[key].column_name)


def stored(model):
    """Every stored row of ``model``, timestamps and tree fields included."""
    return sorted(
        (
            model_to_dict(obj, fields=[f.name for f in model._meta.fields])
            for obj in model._base_manager.all()
        ),
        key=lambda row: row["id"],
    )


@pytest.fixture
def hr_admin(client, seed_org):
    """A logged-in HR editor in the admin."""
    client.force_login(UserFactory(username="hr-admin", is_staff=True, groups=["HR editors"]))
    return client


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_exporting_then_importing_each_model_changes_nothing(hr_admin, model, fmt):
    before = stored(model)
    content = export(hr_admin, model, fmt)

    previewed = preview(hr_admin, model, content, fmt)
    result = previewed.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == model._base_manager.count() == len(before)
    assert result.totals["new"] == result.totals["update"] == 0

    done = confirm(hr_admin, model, previewed)
    assert done.status_code == 302
    assert stored(model) == before
    assert not LogEntry.objects.exists()
    assert tree_problems() == []


def test_the_export_names_references_by_code(hr_admin):
    rows = list(csv.reader(io.StringIO(export(hr_admin, Role, "csv").decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["代码", "部门代码", str(RoleResource.fields["title"].column_name)]
    seo = next(row for row in rows if row[0] == "seo-sem-specialist")
    assert seo[header.index("部门代码")] == "digital-operations"


def test_a_bad_row_shows_its_error_and_nothing_is_written(hr_admin):
    before = stored(Department)
    content = csv_file(
        ["code", "parent", "name"],
        ["new-team", "digital-operations", "新团队"],
        ["lost-team", "no-such-department", "迷路团队"],
        ["unnamed-team", "digital-operations", ""],
    )

    previewed = preview(hr_admin, Department, content, "csv")

    assert previewed.context.get("confirm_form") is None
    errors = row_errors(previewed)
    assert set(errors) == {3, 4}
    assert errors[3] == {"上级部门代码": ["没有代码为“no-such-department”的部门。"]}
    assert list(errors[4]) == [label("name")]
    page = previewed.content.decode()
    assert "no-such-department" in page and "上级部门代码" in page
    assert stored(Department) == before


def test_a_row_that_fails_on_confirmation_writes_nothing(hr_admin):
    """The organisation may change between the preview and the confirmation."""
    before = stored(Department)
    content = csv_file(
        ["code", "parent", "name"],
        ["team-a", "digital-operations", "甲组"],
        ["team-b", "brand-content-marketing", "乙组"],
    )
    previewed = preview(hr_admin, Department, content, "csv")
    assert previewed.context["result"].totals["new"] == 2
    department_archive(department=Department.objects.get(code="brand-content-marketing"))
    before = stored(Department)

    done = confirm(hr_admin, Department, previewed)

    assert done.status_code == 200
    assert "未导入任何内容" in done.content.decode()
    assert [row.number for row in done.context["result"].invalid_rows] == [3]
    assert stored(Department) == before


def test_the_uploaded_file_waits_in_the_shared_cache(hr_admin):
    content = csv_file(["code", "parent", "name"], ["team-a", "digital-operations", "甲组"])
    previewed = preview(hr_admin, Department, content, "csv")
    name = previewed.context["confirm_form"].initial["import_file_name"]
    assert caches["imports"].get(ImportFileStorage.CACHE_PREFIX + name) == content

    caches["imports"].clear()  # expired, or Redis was flushed
    done = confirm(hr_admin, Department, previewed)

    assert "上传的文件已过期,请重新上传。" in done.content.decode()
    assert not Department.objects.filter(code="team-a").exists()


def test_rows_may_come_in_any_order(hr_admin):
    content = csv_file(
        ["code", "parent", "name"],
        ["seo-north", "seo-group", "北区组"],
        ["seo-group", "search-centre", "SEO组"],
        ["search-centre", "digital-operations", "搜索中心"],
        ["seo-south", "seo-group", "南区组"],
    )

    previewed = preview(hr_admin, Department, content, "csv")
    result = previewed.context["result"]
    assert result.totals["new"] == 4 and not result.has_validation_errors()
    # The preview lists the rows as the file does.
    assert [row.object_repr for row in result.rows] == ["北区组", "SEO组", "搜索中心", "南区组"]
    confirm(hr_admin, Department, previewed)

    group = Department.objects.get(code="seo-group")
    assert group.parent.code == "search-centre"
    assert group.parent.parent.code == "digital-operations"
    assert [child.code for child in group.get_children()] == ["seo-north", "seo-south"]
    assert tree_problems() == []


def test_rows_that_refer_to_each_other_in_a_circle_are_row_errors(hr_admin):
    count = Department.objects.count()
    content = csv_file(
        ["code", "parent", "name"],
        ["loop-a", "loop-b", "甲"],
        ["loop-b", "loop-a", "乙"],
        ["fine", "digital-operations", "好"],
    )

    result = preview(hr_admin, Department, content, "csv").context["result"]

    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(errors) == {2, 3}
    assert "loop-a → loop-b → loop-a" in errors[2]["上级部门代码"][0]
    assert Department.objects.count() == count


def test_a_role_may_come_before_the_role_it_reports_to(hr_admin):
    content = csv_file(
        ["code", "department", "title", "reports_to"],
        ["seo-assistant", "digital-operations", "SEO助理", "seo-lead"],
        ["seo-lead", "digital-operations", "SEO主管", ""],
    )

    confirm(hr_admin, Role, preview(hr_admin, Role, content, "csv"))

    assert Role.objects.get(code="seo-assistant").reports_to.code == "seo-lead"


def test_nothing_active_may_be_imported_under_an_archived_department(hr_admin):
    department_archive(department=Department.objects.get(code="digital-operations"))
    content = csv_file(
        ["code", "parent", "name", "is_active"], ["revived", "digital-operations", "复活", "1"]
    )

    result = preview(hr_admin, Department, content, "csv").context["result"]

    [invalid] = result.invalid_rows
    assert "已归档" in " ".join(invalid.error_dict["上级部门代码"])
    assert not Department.objects.filter(code="revived").exists()


def test_columns_may_be_headed_in_english_in_the_chinese_admin(hr_admin):
    with translation.override("en"):
        headers = [
            str(DepartmentResource.fields[key].column_name).upper()
            for key in ("code", "parent", "name", "name_en")
        ]
    content = csv_file(headers, ["data-team", "digital-operations", "数据组", "Data Team"])

    confirm(hr_admin, Department, preview(hr_admin, Department, content, "csv"))

    assert Department.objects.get(code="data-team").name_en == "Data Team"


def test_an_unknown_column_is_refused_rather_than_dropped(hr_admin):
    content = csv_file(["code", "name", "备注"], ["digital-operations", "数字运营部", "重要"])

    previewed = preview(hr_admin, Department, content, "csv")

    assert previewed.context.get("confirm_form") is None
    assert "“备注”" in previewed.content.decode()


def test_an_archived_value_that_is_not_yes_or_no_is_an_error(hr_admin):
    content = csv_file(["code", "is_active"], ["digital-operations", "maybe"])

    result = preview(hr_admin, Department, content, "csv").context["result"]

    assert result.invalid_rows[0].error_dict == {"在用": ["请填写 1(启用)或 0(归档)。"]}
    assert Department.objects.get(code="digital-operations").is_active


def test_every_language_survives_the_round_trip(hr_admin):
    """Each text in each language has its column; a traditional text the portal converts
    automatically is not written, and one HR wrote by hand is."""
    digital = Department.objects.get(code="digital-operations")
    digital.tagline_zh_hant = "流量轉化,通路深耕(手寫)"
    digital.save()
    before = stored(Department)

    rows = list(
        csv.DictReader(io.StringIO(export(hr_admin, Department, "csv").decode("utf-8-sig")))
    )
    row = next(row for row in rows if row["代码"] == "digital-operations")
    assert row[label("tagline_zh_hant")] == "流量轉化,通路深耕(手寫)"
    assert row[label("name_zh_hant")] == ""  # automatic: the portal converts it
    assert row[label("name_en")] == digital.name_en != ""

    result = preview(hr_admin, Department, export(hr_admin, Department, "csv"), "csv")
    assert result.context["result"].totals["skip"] == len(before)
    assert stored(Department) == before


def test_a_traditional_text_equal_to_the_conversion_stays_automatic(hr_admin):
    digital = Department.objects.get(code="digital-operations")
    content = csv_file(
        ["code", "name_zh_hant", "tagline_zh_hant"],
        ["digital-operations", digital.name_zh_hant, "親手寫的標語"],
    )

    confirm(hr_admin, Department, preview(hr_admin, Department, content, "csv"))

    digital.refresh_from_db()
    assert "name" in digital.zh_hant_auto and "tagline" not in digital.zh_hant_auto
    assert digital.tagline_zh_hant == "親手寫的標語"


def test_duties_import_by_role_code_and_position(hr_admin):
    role = Role.objects.get(code="seo-sem-specialist")
    first = role.duties.order_by("sort_order").first()
    content = csv_file(
        ["role", "sort_order", "area", "text"],
        ["seo-sem-specialist", "1", first.area_zh_hans, "改写后的第一条职责"],
        ["seo-sem-specialist", "99", "", "新增的职责"],
    )

    result = preview(hr_admin, Duty, content, "csv").context["result"]
    assert (result.totals["update"], result.totals["new"]) == (1, 1)
    confirm(hr_admin, Duty, preview(hr_admin, Duty, content, "csv"))

    first.refresh_from_db()
    assert first.text == "改写后的第一条职责"
    assert role.duties.get(sort_order=98).text == "新增的职责"


FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1:A2)"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_is_exported_inert_and_imports_back_unchanged(hr_admin, formula):
    duty = DutyFactory(
        role=Role.objects.get(code="seo-sem-specialist"), text=formula, sort_order=50
    )

    book = openpyxl.load_workbook(io.BytesIO(export(hr_admin, Duty, "xlsx")))
    sheet = book.active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == formula]
    assert len(cells) == 1
    assert cells[0].data_type == "s"  # a string, not a formula
    assert cells[0].quotePrefix  # and stays one when the cell is edited

    exported_csv = export(hr_admin, Duty, "csv")
    values = [v for row in csv.reader(io.StringIO(exported_csv.decode("utf-8-sig"))) for v in row]
    assert "'" + formula in values
    assert not any(value.startswith(("=", "+", "-", "@")) for value in values)

    for fmt, content in (("xlsx", export(hr_admin, Duty, "xlsx")), ("csv", exported_csv)):
        result = preview(hr_admin, Duty, content, fmt).context["result"]
        assert result.totals["skip"] == Duty.objects.count(), fmt
    duty.refresh_from_db()
    assert duty.text == formula


def test_importing_needs_the_add_and_change_permissions(client, seed_org):
    staff = UserFactory(username="viewer-staff", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_role", "change_role"])
    )
    client.force_login(staff)

    assert client.get(admin_url(Role, "import")).status_code == 403
    assert client.get(admin_url(Role, "export")).status_code == 200


def test_the_changelists_offer_import_and_export(hr_admin):
    RoleFactory()
    for model in MODELS:
        page = hr_admin.get(admin_url(model, "changelist")).content.decode()
        assert admin_url(model, "import") in page and admin_url(model, "export") in page
