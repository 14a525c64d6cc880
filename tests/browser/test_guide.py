"""The guide and organisation health in Chromium: the header's links, a search that lands on a
passage, phones, print on A4, and the policy that forbids inline styles and scripts."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_print import pdf_pages, print_pdf, shown_controls

pytestmark = pytest.mark.browser

PAGES = {"guide": "组织模式与优化建议", "insights": "组织体检"}
TOUCH = {"has_touch": True, "is_mobile": True}


def test_the_header_leads_to_both_pages(logged_in):
    page = logged_in(DESKTOP)

    page.locator(".site-nav").get_by_role("link", name="模式指南").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("组织模式与优化建议")
    expect(page.locator('.site-nav [aria-current="page"]')).to_have_text("模式指南")
    page.locator(".site-nav").get_by_role("link", name="组织体检").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("组织体检")


def test_a_search_for_the_data_platform_lands_on_its_passage(logged_in):
    page = logged_in(DESKTOP)

    page.locator("#header-q").fill("数据中台")
    page.locator("#header-q").press("Enter")
    page.locator("#results-guide").get_by_role("link").first.click()

    assert page.url.endswith(f"{reverse('guide:guide')}#technology-data-platform")
    passage = page.locator("#technology-data-platform")
    expect(passage).to_be_in_viewport()
    expect(passage).to_contain_text("搭建数据中台,打破部门数据壁垒")


@pytest.mark.parametrize("name", PAGES)
def test_on_a_phone_nothing_is_wider_than_the_screen(logged_in, name):
    page = logged_in(PHONE, **TOUCH)

    page.goto(reverse(f"guide:{name}"))

    expect(page.get_by_role("heading", level=1)).to_have_text(PAGES[name])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator(".site-nav__link")).to_have_count(3)  # guide, 项目组, health check


@pytest.mark.parametrize("name", PAGES)
def test_both_pages_print_on_a4_without_controls(logged_in, name):
    page = logged_in(DESKTOP)

    pdf = print_pdf(page, reverse(f"guide:{name}"))
    pages = pdf_pages(pdf)

    assert 1 <= len(pages) <= 8 and all(pages)
    # A4 portrait, 595 × 842 points, on every page.
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert {(round(float(width)), round(float(height))) for width, height in sizes} == {(595, 842)}
    assert shown_controls(page) == []


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_keep_to_the_content_security_policy(logged_in, name):
    page = logged_in(DESKTOP)
    violations = []
    page.on("console", lambda message: violations.append(message.text))

    page.goto(reverse(f"guide:{name}"))

    expect(page.get_by_role("heading", level=1)).to_have_text(PAGES[name])
    assert [text for text in violations if "Content Security Policy" in text] == []


def test_the_english_guide_is_the_translation(logged_in):
    page = logged_in(DESKTOP)
    page.goto(reverse("guide:guide"))

    page.locator('.lang-switch button[value="en"]').click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Structure modes and advice")
    expect(page.locator("#mode-matrix")).to_contain_text("3. Matrix structure")
    expect(page.locator("#stage-growth")).to_contain_text("Growth stage")
