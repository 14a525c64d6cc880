"""The chart on a phone: where it opens, a toolbar that says what it does, no keyboard hint on
touch screens, and a company introduction that opens in full."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

TOP_LEVEL_CARDS = ".org-chart > .org-node > .org-branch > .org-level > .org-node > .org-card"
# A phone as Chromium emulates one: a touch screen without a mouse.
TOUCH = {"has_touch": True, "is_mobile": True}


def test_on_a_phone_the_chart_opens_on_the_company_and_its_first_department(logged_in):
    page = logged_in(PHONE)
    page.locator(".chart-scroll").scroll_into_view_if_needed()

    expect(page.locator(".org-card--root")).to_be_in_viewport()
    expect(page.locator(TOP_LEVEL_CARDS).first).to_be_in_viewport()
    expect(page.locator(TOP_LEVEL_CARDS).first).to_contain_text("市场调研与策略部")
    assert page.locator(".chart-scroll").evaluate("scroller => scroller.scrollLeft") == 0
    # The chart still scrolls sideways to the other departments.
    assert page.locator(".chart-scroll").evaluate("s => s.scrollWidth > s.clientWidth")


def test_on_a_phone_every_toolbar_button_shows_its_label(logged_in):
    page = logged_in(PHONE)

    buttons = page.locator(".toolbar .button:visible")
    expect(buttons).to_have_count(6)
    for index in range(6):
        label = buttons.nth(index).locator(".button__label")
        expect(label).to_be_visible()
        assert label.bounding_box()["width"] > 20
    labels = [text.strip() for text in buttons.locator(".button__label").all_inner_texts()]
    assert labels == [
        "项目组",
        "全部展开",
        "全部收起",
        "岗位说明书(PDF)",
        "组织表格(Excel)",
        "打印",
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_arrow_key_hint_shows_with_a_keyboard_and_not_on_a_touch_screen(logged_in):
    desktop = logged_in(DESKTOP)
    expect(desktop.locator(".chart-hint")).to_be_visible()

    phone = logged_in(PHONE, **TOUCH)
    expect(phone.locator(".org-card--root")).to_be_visible()
    expect(phone.locator(".chart-hint")).to_be_hidden()


def test_on_a_phone_the_company_introduction_opens_in_full(logged_in):
    page = logged_in(PHONE, **TOUCH)
    intro = page.locator(".page-head__lead")
    more = page.get_by_role("button", name="展开全文")

    expect(more).to_be_visible()
    assert intro.evaluate("p => p.scrollHeight > p.clientHeight + 1")
    more.click()

    assert intro.evaluate("p => p.scrollHeight <= p.clientHeight + 1")
    expect(intro).to_contain_text("构建核心优势")
    less = page.get_by_role("button", name="收起", exact=True)
    expect(less).to_have_attribute("aria-expanded", "true")
    less.click()
    expect(page.get_by_role("button", name="展开全文")).to_have_attribute("aria-expanded", "false")


def test_on_a_desktop_the_introduction_shows_in_full_without_a_button(logged_in):
    page = logged_in(DESKTOP)
    expect(page.locator(".page-head__lead")).to_contain_text("构建核心优势")
    expect(page.locator(".lead-toggle")).to_have_count(0)
