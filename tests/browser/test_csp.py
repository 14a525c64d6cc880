"""The Content-Security-Policy is on, and the portal, the admin and the API's documentation
work under it: every page is checked in Chromium for violations the browser reports."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from roles.models import Role
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

# Collect every violation the page reports, from its very start.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${where}`
  );
});
"""
# ReDoc's bundle asks cdn.redoc.ly for its footer logo; the policy refuses it, as it should.
EXPECTED = ("https://cdn.redoc.ly",)


def watched(page):
    """Record the policy's violations on ``page`` and the console's CSP errors."""
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Content Security Policy" in message.text
            and page.console_errors.append(message.text)
        ),
    )
    return page


def violations(page):
    found = page.evaluate("window.__cspViolations || []") + page.console_errors
    return [line for line in found if not any(allowed in line for allowed in EXPECTED)]


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"], url
    return response


def test_portal_pages_work_under_the_policy(new_page, staff_user, seed_org):
    page = watched(new_page())
    log_in(page)
    expect(page.locator(".org-card--root")).to_be_visible()
    page.locator(".org-branch[data-root] > summary").click()
    role = Role.objects.filter(is_active=True).first()
    for url in (
        reverse("chart:home") + "?view=outline",
        reverse("departments:detail", kwargs={"code": role.department.code}),
        reverse("roles:detail", kwargs={"code": role.code}),
        reverse("search:results") + "?q=运营",
    ):
        visit(page, url)
    assert violations(page) == []


def test_the_admin_works_under_the_policy(admin_page):
    page = watched(admin_page(reverse("admin:index")))
    visit(page, reverse("admin:departments_department_changelist"))
    expect(page.locator("#result_list .tree-node").first).to_be_visible()
    role = Role.objects.first()
    visit(page, reverse("admin:roles_role_change", args=[role.pk]))
    expect(page.locator("#id_title_zh_hans")).to_have_value(role.title_zh_hans)
    visit(page, reverse("admin:departments_department_add"))
    assert violations(page) == []


def test_the_admins_import_and_export_work_under_the_policy(admin_page):
    page = watched(admin_page(reverse("admin:index")))
    visit(page, reverse("admin:roles_role_export"))
    expect(page.locator("#id_format")).to_be_visible()
    visit(page, reverse("admin:departments_department_import"))
    page.set_input_files(
        "#id_import_file",
        files=[
            {
                "name": "departments.csv",
                "mimeType": "text/csv",
                "buffer": "code,parent,name\nnew-team,digital-operations,新团队\n".encode(),
            }
        ],
    )
    page.select_option("#id_format", label="csv")
    page.locator("#content form [type=submit]").click()
    expect(page.locator("table.import-preview")).to_be_visible()
    expect(page.locator("input[name=confirm]")).to_be_visible()
    assert violations(page) == []


def test_swagger_ui_works_under_the_policy(new_page, staff_user, seed_org):
    page = watched(new_page())
    log_in(page)
    visit(page, reverse("api:docs"))
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    page.locator(".swagger-ui .opblock-summary").first.click()
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    assert violations(page) == []


def test_redoc_works_under_the_policy(new_page, staff_user, seed_org):
    page = watched(new_page())
    log_in(page)
    visit(page, reverse("api:redoc"))
    expect(page.locator(".api-content")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("heading", name="orgportal API (1.0.0)")).to_be_visible()
    assert violations(page) == []
