"""The chart of a large organisation in the browser: the open levels only, branches opened on
demand as fragments, "show more" for wide branches, no-JavaScript links, and a deep focus at
10,000 departments."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from departments.models import Department
from orgportal.generated_org import build_large_org
from tests.browser.conftest import DESKTOP, log_in, screenshot

pytestmark = pytest.mark.browser

CARDS = ".org-chart .org-card"


def gen(*indexes):
    return [f"gen-{index}" for index in indexes]


def card_codes(page, selector=CARDS):
    return [
        code.removeprefix("dept-")
        for code in page.locator(selector).evaluate_all("cards => cards.map(card => card.id)")
    ]


@pytest.fixture
def open_chart(new_page, staff_user):
    """Return a function that builds an organisation of ``size`` departments and opens a
    logged-in page on the chart."""

    def open_it(size=500, viewport=DESKTOP, url=None, **options):
        build_large_org(departments=size)
        page = new_page(viewport, **options)
        log_in(page)
        if url:
            page.goto(url)
        return page

    return open_it


def fragment_requests(page):
    """Return the list that collects the URLs of the fragments the page fetches."""
    fetched = []
    page.on(
        "request",
        lambda request: fetched.append(request.url) if "/chart/branch/" in request.url else None,
    )
    return fetched


def test_a_closed_branch_opens_on_demand_as_a_fragment(open_chart):
    page = open_chart(500)
    fetched = fragment_requests(page)

    assert card_codes(page) == ["company", *gen(*range(1, 9))]
    toggle = page.locator("#dept-gen-1 + .org-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()

    expect(page.locator("#dept-gen-9")).to_be_visible()
    assert card_codes(page) == ["company", "gen-1", *gen(*range(9, 17)), *gen(*range(2, 9))]
    assert [url.split("/", 3)[3] for url in fetched] == ["chart/branch/gen-1/?view=chart"]
    # In its place an open branch, which closes and opens again without asking the server.
    summary = page.locator("#dept-gen-1 + details.org-branch > summary")
    expect(summary).to_have_attribute("aria-expanded", "true")
    summary.click()
    expect(page.locator("#dept-gen-9")).to_be_hidden()
    summary.click()
    expect(page.locator("#dept-gen-9")).to_be_visible()
    # A branch inside the fetched one opens on demand too.
    page.locator("#dept-gen-9 + .org-toggle").click()
    expect(page.locator("#dept-gen-73")).to_be_visible()
    assert len(fetched) == 2
    screenshot(page, "chart-branch-on-demand")


def test_the_outline_opens_branches_on_demand_too(open_chart):
    page = open_chart(500, url=reverse("chart:home") + "?view=outline")
    fetched = fragment_requests(page)

    page.locator("#outline-gen-2 + .outline-toggle").click()

    expect(page.locator("#outline-gen-17")).to_be_visible()
    assert fetched[-1].endswith("/chart/branch/gen-2/?view=outline")
    # The keyboard: right opens a closed branch on demand, down then walks into it.
    page.locator("#outline-gen-3 a").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#outline-gen-25")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#outline-gen-25 a")).to_be_focused()


def test_a_wide_branch_shows_more_on_request(open_chart, settings):
    settings.ORGPORTAL_CHART_PAGE_SIZE = 3
    page = open_chart(500)

    assert card_codes(page) == ["company", *gen(1, 2, 3)]
    page.get_by_role("link", name="显示更多(还有 5 个部门)").click()
    expect(page.locator("#dept-gen-6")).to_be_visible()
    assert card_codes(page) == ["company", *gen(*range(1, 7))]
    page.get_by_role("link", name="显示更多(还有 2 个部门)").click()
    expect(page.locator("#dept-gen-8")).to_be_visible()
    assert card_codes(page) == ["company", *gen(*range(1, 9))]
    expect(page.locator("[data-more]")).to_have_count(0)


def test_without_javascript_a_closed_branch_opens_the_chart_at_it(open_chart):
    page = open_chart(500, java_script_enabled=False)

    page.locator("#dept-gen-1 + .org-toggle").click()

    expect(page).to_have_url(re.compile(r"/\?focus=gen-1#dept-gen-1$"))
    expect(page.locator("#dept-gen-9")).to_be_visible()
    expect(page.locator("#dept-gen-1")).to_have_attribute("aria-current", "true")


def test_focus_on_a_deep_department_at_10000_departments(open_chart):
    # gen-9999 sits five levels down: gen-2, gen-19, gen-156, gen-1249, gen-9999.
    page = open_chart(10_000, url=reverse("chart:home") + "?focus=gen-9999")
    fetched = fragment_requests(page)

    focused = page.locator("#dept-gen-9999")
    expect(focused).to_have_attribute("aria-current", "true")
    expect(focused).to_be_in_viewport()
    expect(focused.locator("a")).to_be_focused()
    # Drawn: the company, its eight children, the eight children of gen-2, gen-19 and gen-156
    # each, and the last seven departments, gen-1249's: 40 of 10,000 cards.
    codes = card_codes(page)
    assert len(codes) == 1 + 8 * 4 + 7
    below = codes.index("gen-1249") + 1
    assert codes[below : below + 7] == gen(*range(9993, 10_000))
    for code in ("gen-2", "gen-19", "gen-156", "gen-1249"):
        expect(page.locator(f"#dept-{code} + details.org-branch")).to_have_attribute("open", "")
    # Closed cards say how many departments are below them: 4,680 below gen-1.
    gen_1 = Department.objects.get(code="gen-1")
    assert (gen_1.rght - gen_1.lft - 1) // 2 == 4680
    expect(page.locator("#dept-gen-1 + .org-toggle")).to_contain_text("4680")
    screenshot(page, "chart-focus-10k")

    # And a branch elsewhere opens on demand.
    page.locator("#dept-gen-1 + .org-toggle").click()
    expect(page.locator("#dept-gen-9")).to_be_visible()
    assert len(fetched) == 1


def test_show_more_keeps_tree_order_beside_a_focus_beyond_the_first_page(open_chart, settings):
    settings.ORGPORTAL_CHART_PAGE_SIZE = 3
    # gen-7 is the company's seventh child: drawn beside the first page, on its focus's path.
    page = open_chart(500, url=reverse("chart:home") + "?focus=gen-7")
    top_level = ".org-chart > .org-node > .org-branch > .org-level > .org-node > .org-card"

    assert card_codes(page, top_level) == ["gen-1", "gen-2", "gen-3", "gen-7"]
    company_more = page.locator('[data-more-url^="/chart/branch/company/"]')
    expect(company_more).to_have_text("显示更多(还有 5 个部门)")
    company_more.click()
    expect(page.locator("#dept-gen-6")).to_be_visible()
    assert card_codes(page, top_level) == gen(*range(1, 8))
    expect(company_more).to_have_text("显示更多(还有 2 个部门)")
    company_more.click()
    expect(page.locator("#dept-gen-8")).to_be_visible()
    # gen-7 came again on the last page and was not drawn twice.
    assert card_codes(page, top_level) == gen(*range(1, 9))
