"""The README's pictures: each page on a desktop and a phone, as `make screenshots` saves them.

In a normal test run they go to the ignored test-results/screenshots/; `make screenshots` sets
ORGPORTAL_SCREENSHOTS_DIR to docs/screenshots/ and runs only this module.
"""

import csv
import io

import pypdfium2
import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from departments.resources import DepartmentResource
from roles.models import Role
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
# A phone is a touch screen (which, for one, shows no arrow-key hint).
DEVICES = {"desktop": {}, "phone": {"has_touch": True, "is_mobile": True}}
# Each picture: the page, and a heading that shows it is the right one.
PAGES = {
    "chart": (reverse("chart:home"), "互联网营销企业"),
    "department": (
        reverse("departments:detail", kwargs={"code": "digital-operations"}),
        "数字运营部",
    ),
    "role": (reverse("roles:detail", kwargs={"code": "seo-sem-specialist"}), "SEO/SEM优化师"),
    "guide": (reverse("guide:guide"), "组织模式与优化建议"),
    "insights": (reverse("guide:insights"), "组织体检"),
    "chart-teams": (reverse("chart:home") + "?teams=1", "互联网营销企业"),
    "team": (reverse("teams:detail", kwargs={"code": "team-618"}), "618大促项目组"),
}
# The admin's pages as an HR editor sees them: the department tree, and a role with its duties.
ADMIN_PAGES = {
    "admin-tree": (lambda: reverse("admin:departments_department_changelist"), "选择 部门 来修改"),
    "admin-role": (
        lambda: reverse(
            "admin:roles_role_change", args=[Role.objects.get(code="seo-sem-specialist").pk]
        ),
        "修改 岗位",
    ),
}
# The chart in the other two languages, on a desktop.
LANGUAGE_PAGES = {
    "chart-en": ("en", "Internet Marketing Company"),
    "chart-zh-hant": ("zh-hant", "網際網路營銷企業"),
}
# A changed department, a new one and an unchanged one, as HR would upload them, headed as
# the admin's export heads its columns.
IMPORT_ROWS = [
    ["digital-operations", "company", "数字运营部", "Digital Operations", "流量转化,全域增长"],
    ["seo-group", "digital-operations", "SEO组", "SEO Group", "搜索流量"],
    ["data-technology", "company", "数据与技术部", "Data & Technology", "技术赋能,数据驱动"],
]
README_PICTURES = [
    *(f"{page}-{viewport}" for page in [*PAGES, *ADMIN_PAGES] for viewport in VIEWPORTS),
    *(f"{page}-desktop" for page in LANGUAGE_PAGES),
    "admin-import-preview-desktop",
    "handbook-role-page",
    # Saved by tests/browser/test_history.py, which `make screenshots` runs too.
    "chart-as-of-desktop",
    "changes-desktop",
    "changes-delta-desktop",
]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_readme_picture(logged_in, name, viewport):
    page = logged_in(VIEWPORTS[viewport], **DEVICES[viewport])
    url, heading = PAGES[name]

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    screenshot(page, f"{name}-{viewport}")


@pytest.mark.parametrize("name", LANGUAGE_PAGES)
def test_readme_picture_in_another_language(logged_in, name):
    page = logged_in(DESKTOP)
    language, heading = LANGUAGE_PAGES[name]

    page.locator(f'.lang-switch button[value="{language}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    screenshot(page, f"{name}-desktop")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_readme_admin_picture(admin_page, name, viewport):
    url, heading = ADMIN_PAGES[name]
    page = admin_page(url(), VIEWPORTS[viewport], **DEVICES[viewport])

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    screenshot(page, f"{name}-{viewport}")


def test_readme_admin_import_preview_picture(admin_page):
    page = admin_page(reverse("admin:departments_department_import"))
    fields = DepartmentResource.fields
    stream = io.StringIO()
    writer = csv.writer(stream)
    keys = ("code", "parent", "name", "name_en", "tagline")
    writer.writerow(str(fields[key].column_name) for key in keys)
    writer.writerows(IMPORT_ROWS)
    content = stream.getvalue().encode()
    page.set_input_files(
        "#id_import_file",
        files=[{"name": "部门.csv", "mimeType": "text/csv", "buffer": content}],
    )
    page.select_option("#id_format", label="csv")
    page.locator("#content form [type=submit]").click()

    expect(page.locator("table.import-preview tr.new")).to_have_count(1)
    expect(page.locator("table.import-preview tr.update")).to_have_count(1)
    screenshot(page, "admin-import-preview-desktop")


def test_readme_handbook_picture(seed_org):
    """A role's page of the handbook, rendered from the PDF the portal serves."""
    client = Client()
    client.force_login(UserFactory(username="reader"))
    url = reverse("orgfiles:role-handbook", kwargs={"code": "seo-sem-specialist"})
    pdf = pypdfium2.PdfDocument(client.get(url).content)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf[1].render(scale=1.5).to_pil().save(SCREENSHOTS / "handbook-role-page.png")
    assert len(pdf) == 2
