"""The README's pictures: each page on a desktop and a phone, as `make screenshots` saves them.

In a normal test run they go to the ignored test-results/screenshots/; `make screenshots` sets
ORGPORTAL_SCREENSHOTS_DIR to docs/screenshots/ and runs only this module.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from roles.models import Role
from tests.browser.conftest import DESKTOP, PHONE, screenshot

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
README_PICTURES = [
    f"{page}-{viewport}" for page in [*PAGES, *ADMIN_PAGES] for viewport in VIEWPORTS
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


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_readme_admin_picture(admin_page, name, viewport):
    url, heading = ADMIN_PAGES[name]
    page = admin_page(url(), VIEWPORTS[viewport], **DEVICES[viewport])

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    screenshot(page, f"{name}-{viewport}")
