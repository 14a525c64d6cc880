"""The portal in a real browser: log in, chart, department and role pages, search, English."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

TOP_LEVEL_CARDS = ".org-chart > .org-node > .org-branch > .org-level > .org-node > .org-card"


def test_log_in_and_see_all_eight_departments_on_the_chart(logged_in):
    page = logged_in(DESKTOP)

    expect(page.locator(".org-card--root")).to_contain_text("互联网营销企业")
    cards = page.locator(TOP_LEVEL_CARDS)
    expect(cards).to_have_count(8)
    for name in ("市场调研与策略部", "数字运营部", "人力资源与行政部", "财务部"):
        expect(cards.filter(has_text=name)).to_be_visible()
    expect(page.locator(".header-user")).to_contain_text("staff")


def test_chart_scrolls_sideways_on_a_phone_and_the_outline_fits(logged_in):
    page = logged_in(PHONE)

    scroller = page.locator(".chart-scroll")
    assert scroller.evaluate("element => element.scrollWidth > element.clientWidth")
    expect(page.locator(".org-card--root")).to_be_in_viewport()

    page.get_by_role("link", name="大纲").click()
    expect(page.locator(".outline-row")).to_have_count(9)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_collapse_and_expand_a_subtree(logged_in):
    page = logged_in(DESKTOP)
    toggle = page.locator(".org-branch[data-root] > summary")
    finance = page.locator(TOP_LEVEL_CARDS).filter(has_text="财务部")

    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(finance).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.press("Enter")
    expect(finance).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")


def test_expand_all_and_collapse_all(logged_in):
    page = logged_in(DESKTOP)
    finance = page.locator(TOP_LEVEL_CARDS).filter(has_text="财务部")

    page.get_by_role("button", name="全部收起").click()
    # The root stays open, so the first level shows; nothing deeper exists in the seed.
    expect(finance).to_be_visible()
    page.locator(".org-branch[data-root] > summary").click()
    expect(finance).to_be_hidden()
    page.get_by_role("button", name="全部展开").click()
    expect(finance).to_be_visible()


def test_arrow_keys_move_between_departments(logged_in):
    page = logged_in(DESKTOP)
    root = page.locator(".org-card--root a")

    root.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator(TOP_LEVEL_CARDS).first.locator("a")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator(TOP_LEVEL_CARDS).nth(1).locator("a")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(root).to_be_focused()


def test_arrow_keys_move_through_the_outline(logged_in):
    page = logged_in(DESKTOP)
    page.get_by_role("link", name="大纲").click()
    root = page.locator(".outline-row").first.locator("a")

    root.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="市场调研与策略部")).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("link", name="财务部")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(root).to_be_focused()


def test_open_digital_operations_then_the_seo_sem_role_and_see_its_duty_areas(logged_in):
    page = logged_in(DESKTOP)

    page.locator(TOP_LEVEL_CARDS).get_by_role("link", name="数字运营部").click()
    expect(page).to_have_url(re.compile(r"/departments/digital-operations/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("数字运营部")
    expect(page.locator(".hero__tagline")).to_have_text("流量转化,渠道深耕")

    # The role's own card (its name is also in the project teams beside it).
    page.locator("#role-seo-sem-specialist").get_by_role("link", name="SEO/SEM优化师").click()
    expect(page).to_have_url(re.compile(r"/roles/seo-sem-specialist/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("SEO/SEM优化师")
    seo = page.locator(".duty-group").filter(has=page.get_by_role("heading", name="SEO方向"))
    sem = page.locator(".duty-group").filter(has=page.get_by_role("heading", name="SEM方向"))
    expect(seo.locator(".duty-list__item")).to_have_count(3)
    expect(sem.locator(".duty-list__item")).to_have_count(3)
    expect(seo).to_contain_text("研究搜索引擎算法")
    expect(sem).to_contain_text("控制CPC(单次点击成本)")


def test_department_and_role_pages_read_well_on_a_phone(logged_in):
    page = logged_in(PHONE)

    page.goto(reverse("departments:detail", kwargs={"code": "digital-operations"}))
    expect(page.get_by_role("heading", level=1)).to_have_text("数字运营部")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(reverse("roles:detail", kwargs={"code": "seo-sem-specialist"}))
    expect(page.get_by_role("heading", name="SEM方向")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_search_xiaohongshu_from_the_header_and_open_a_result(logged_in):
    page = logged_in(DESKTOP)

    page.get_by_role("searchbox", name="搜索部门、岗位和职责").fill("小红书")
    page.get_by_role("searchbox", name="搜索部门、岗位和职责").press("Enter")
    results = page.locator("#results-duties .result")
    expect(results).to_have_count(5)
    expect(results.first.locator("mark")).to_have_text("小红书")

    results.filter(has_text="小红书50位腰部博主").click()
    expect(page).to_have_url(re.compile(r"/roles/social-media-operations/#duty-\d+$"))
    expect(page.locator(".duty-list__item:target")).to_contain_text("小红书50位腰部博主")


def test_switch_to_english_and_see_english_department_names(logged_in):
    page = logged_in(DESKTOP)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    cards = page.locator(TOP_LEVEL_CARDS)
    expect(cards.filter(has_text="Digital Operations")).to_be_visible()
    expect(cards.filter(has_text="Market Research & Strategy")).to_be_visible()
    expect(cards.filter(has_text="数字运营部")).to_have_count(0)
    expect(page.get_by_role("button", name="Expand all")).to_be_visible()

    page.get_by_role("link", name="Digital Operations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital Operations")


def test_focus_link_opens_the_chart_with_the_card_highlighted(logged_in):
    page = logged_in(DESKTOP)

    page.goto(reverse("departments:detail", kwargs={"code": "finance"}))
    page.get_by_role("link", name="在架构图中查看").click()

    card = page.locator("#dept-finance")
    expect(card).to_have_class(re.compile(r"\bis-focused\b"))
    expect(card).to_have_attribute("aria-current", "true")
    expect(card.locator("a")).to_be_focused()
    expect(card).to_be_in_viewport()
    expect(page.locator(".is-focused")).to_have_count(1)


def test_printing_fits_the_chart_on_one_a4_landscape_page(logged_in):
    page = logged_in(DESKTOP)

    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    zoom = page.locator(".org-chart").evaluate(
        "chart => chart.style.getPropertyValue('--print-zoom')"
    )
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)

    assert 0 < float(zoom) < 1
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1


def test_the_department_filter_offers_departments_as_one_types(logged_in):
    page = logged_in(DESKTOP)
    page.goto("/search/?q=小红书")
    field = page.locator("#id_department")
    field.fill("Digital")
    option = page.locator("#department-options option[value='digital-operations']")
    expect(option).to_have_count(1)
    field.fill("digital-operations")
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"department=digital-operations"))
    expect(page.locator("#results-duties")).to_contain_text("小红书")
