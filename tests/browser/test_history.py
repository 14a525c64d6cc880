"""History in a real browser: the chart as of a past moment, the date picker, /changes/."""

import urllib.parse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from departments.models import Department
from departments.services import department_move
from tests.browser.conftest import DESKTOP, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def changed_org(seed_org):
    """Return the moment before a rename and a move made after the seed import."""
    before = timezone.now()
    finance = Department.objects.get(code="finance")
    finance.name_zh_hans = "财务中心"
    finance.save()
    top = list(seed_org.get_children())
    department_move(department=top[-1], target=top[0], position="first-child")
    return before


def test_the_chart_as_of_a_past_moment_and_the_changes_page(logged_in, changed_org):
    page = logged_in(DESKTOP)
    expect(page.locator(".org-chart")).to_contain_text("财务中心")

    query = urllib.parse.urlencode({"as_of": changed_org.isoformat()})
    page.goto(f"/?{query}")
    expect(page.locator(".asof-banner")).to_contain_text("的组织")
    expect(page.locator(".org-chart")).to_contain_text("财务部")
    expect(page.locator(".org-chart")).not_to_contain_text("财务中心")
    screenshot(page, "chart-as-of-desktop")

    # The date picker: today shows today's organisation under a banner.
    page.fill("#as-of", timezone.localdate().isoformat())
    page.locator(".asof-picker button[type=submit]").click()
    expect(page.locator(".asof-banner")).to_be_visible()
    expect(page.locator(".org-chart")).to_contain_text("财务中心")

    page.goto("/changes/")
    expect(page.locator(".change-list")).to_contain_text("财务部 改名为 财务中心")
    expect(page.locator(".change-list")).to_contain_text("移到")
    screenshot(page, "changes-desktop")

    today = timezone.localdate().isoformat()
    page.goto(f"/changes/?from={today}&to={today}")
    expect(page.locator(".delta-counts")).to_contain_text("改名的部门")
    screenshot(page, "changes-delta-desktop")
