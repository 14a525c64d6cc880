"""Printing: a role on one A4 page, a department flowing without blank pages, no controls."""

import re
import zlib

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser

CONTROLS = "button, input:not([type=hidden]), select, textarea, .button, .toolbar, .site-header"


def pdf_pages(pdf):
    """Return, for each page of a PDF that Chromium made, how many text runs it draws."""
    objects = {
        int(match.group(1)): match.group(2)
        for match in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)
    }
    pages = []
    for body in objects.values():
        if not re.search(rb"/Type\s*/Page\b", body):
            continue
        contents = objects[int(re.search(rb"/Contents\s+(\d+) 0 R", body).group(1))]
        stream = re.search(rb"stream\r?\n(.*)\r?\nendstream", contents, re.S).group(1)
        if b"/FlateDecode" in contents:
            stream = zlib.decompress(stream)
        pages.append(len(re.findall(rb"\bT[jJ]\b", stream)))
    return pages


def print_pdf(page, url):
    page.goto(url)
    return page.pdf(prefer_css_page_size=True, print_background=True)


def shown_controls(page):
    """Return the controls that print would show."""
    page.emulate_media(media="print")
    shown = page.locator(CONTROLS).evaluate_all(
        "nodes => nodes.filter(node => node.getClientRects().length > 0)"
        ".map(node => node.outerHTML.slice(0, 80))"
    )
    page.emulate_media(media="screen")
    return shown


@pytest.mark.parametrize("code", ["seo-sem-specialist", "social-media-operations"])
def test_a_role_prints_on_one_page(logged_in, code):
    page = logged_in(DESKTOP)

    pages = pdf_pages(print_pdf(page, reverse("roles:detail", kwargs={"code": code})))

    assert len(pages) == 1
    assert pages[0] > 50  # the title, the path and every duty


def test_a_department_prints_without_blank_pages_or_controls(logged_in):
    page = logged_in(DESKTOP)
    url = reverse("departments:detail", kwargs={"code": "digital-operations"})

    pages = pdf_pages(print_pdf(page, url))

    assert 1 <= len(pages) <= 2
    assert all(text_runs > 20 for text_runs in pages), pages
    assert shown_controls(page) == []
    page.emulate_media(media="print")
    # The "search this department" panel is a control as a whole, heading included.
    expect(page.locator(".panel--search")).to_be_hidden()
    expect(page.locator("#roles-title")).to_be_visible()


def test_a_heading_is_kept_with_what_follows_it(logged_in):
    page = logged_in(DESKTOP)
    page.goto(reverse("departments:detail", kwargs={"code": "digital-operations"}))
    page.emulate_media(media="print")

    headings = page.locator("h2, h3, h4, .role-card__head").evaluate_all(
        "nodes => nodes.filter(n => n.getClientRects().length)"
        ".map(n => getComputedStyle(n).breakAfter)"
    )
    assert headings and set(headings) == {"avoid"}


def test_the_role_page_prints_no_controls(logged_in):
    page = logged_in(DESKTOP)
    page.goto(reverse("roles:detail", kwargs={"code": "seo-sem-specialist"}))
    assert shown_controls(page) == []
