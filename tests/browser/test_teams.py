"""The chart's matrix overlay in the browser: the link switch, dashed labelled connections,
"+N 项目组" badges, without JavaScript, in the outline, on a phone and in print; the team pages."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser

TOUCH = {"has_touch": True, "is_mobile": True}
DRAWN_ON = [
    "market-research-strategy",
    "digital-operations",
    "user-growth-operations",
    "data-technology",
    "customer-service",
]


def check_overlay(page, card_prefix="dept"):
    team = page.locator("#team-team-618")
    expect(team).to_be_visible()
    expect(team.locator(".overlay-team__name")).to_have_text("618大促项目组")
    links = team.locator(".team-link")
    expect(links).to_have_count(len(DRAWN_ON))
    # Each connection is a dashed line labelled with its department and the roles drawn.
    for index in range(len(DRAWN_ON)):
        line = links.nth(index).locator(".team-link__line")
        assert line.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
        assert line.bounding_box()["width"] >= 20
    expect(links.nth(1)).to_contain_text("数字运营部")
    expect(links.nth(1)).to_contain_text("SEO/SEM优化师")
    # Each department it draws on has the "+1 项目组" badge; others have none.
    for code in DRAWN_ON:
        badge = page.locator(f"#{card_prefix}-{code} .team-badge")
        expect(badge).to_have_text("+1 项目组")
        assert badge.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    expect(page.locator(f"#{card_prefix}-finance .team-badge")).to_have_count(0)


def test_the_switch_overlays_the_teams_on_the_chart(logged_in):
    page = logged_in(DESKTOP)
    expect(page.locator("#team-overlay")).to_have_count(0)
    switch = page.locator("[data-team-switch]")
    expect(switch).to_have_text("项目组")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.click()
    page.wait_for_url("**/?teams=1")
    check_overlay(page)
    # Solid lines stay the reporting tree: the department cards are where they were.
    expect(page.locator(".org-chart .org-card")).to_have_count(9)
    screenshot(page, "overlay-desktop")
    # A connection opens the chart at its department.
    page.locator("#team-team-618 .team-link__department", has_text="客户服务部").click()
    page.wait_for_url("**focus=customer-service**")
    expect(page.locator("#dept-customer-service")).to_be_in_viewport()
    # Switching off removes the overlay.
    page.locator("[data-team-switch]").click()
    expect(page.locator("#team-overlay")).to_have_count(0)


def test_the_overlay_works_without_javascript(logged_in):
    page = logged_in(DESKTOP, java_script_enabled=False)
    page.goto(reverse("chart:home"))
    page.locator("[data-team-switch]").click()
    check_overlay(page)


def test_the_overlay_in_the_outline_view(logged_in):
    page = logged_in(DESKTOP)
    page.goto(reverse("chart:home") + "?view=outline&teams=1")
    check_overlay(page, card_prefix="outline")


def test_the_overlay_on_a_phone(logged_in):
    page = logged_in(PHONE, **TOUCH)
    page.goto(reverse("chart:home") + "?teams=1")
    check_overlay(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    overlay = page.locator("#team-overlay").bounding_box()
    assert overlay["width"] <= PHONE["width"]
    screenshot(page, "overlay-phone")


def test_the_overlay_prints(logged_in):
    page = logged_in(DESKTOP)
    page.goto(reverse("chart:home") + "?teams=1")
    page.emulate_media(media="print")
    expect(page.locator("#team-team-618")).to_be_visible()
    expect(page.locator("[data-team-switch]")).to_be_hidden()
    expect(page.locator("#dept-digital-operations .team-badge")).to_be_visible()
    assert page.pdf(format="A4", landscape=True)[:4] == b"%PDF"


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_team_page(logged_in, viewport, name):
    page = logged_in(viewport, **(TOUCH if name == "phone" else {}))
    page.goto(reverse("teams:detail", kwargs={"code": "team-618"}))
    expect(page.get_by_role("heading", level=1)).to_have_text("618大促项目组")
    owner = page.locator(".team-member--owner")
    expect(owner).to_have_count(1)
    expect(owner).to_contain_text("营销策划经理")
    expect(owner.locator(".badge--owner")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"team-page-{name}")
    page.locator(".team-member", has_text="SEO/SEM优化师").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SEO/SEM优化师")
    expect(page.locator('[data-team="team-618"]')).to_be_visible()
