"""A department keeps its colour when HR reorder or archive its siblings."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from departments.models import Department
from departments.services import department_archive, department_move
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser


def colours(page):
    """Return each department's colour on the chart, by code."""
    page.goto(reverse("chart:home"))
    return page.locator(".org-card:not(.org-card--root)").evaluate_all(
        "cards => Object.fromEntries(cards.map("
        "card => [card.id, getComputedStyle(card).borderTopColor]))"
    )


def test_a_department_keeps_its_colour_when_departments_are_reordered(logged_in):
    page = logged_in(DESKTOP)
    before = colours(page)
    assert len(set(before.values())) == 8  # eight departments, eight colours

    company = Department.objects.get(code="company")
    department_move(
        department=Department.objects.get(code="finance"), target=company, position="first-child"
    )
    department_move(
        department=Department.objects.get(code="market-research-strategy"),
        target=company,
        position="last-child",
    )
    reordered = colours(page)

    first = page.locator(".org-level > .org-node > .org-card").first
    expect(first).to_have_attribute("id", "dept-finance")
    assert reordered == before


def test_a_department_keeps_its_colour_when_a_sibling_is_archived(logged_in):
    page = logged_in(DESKTOP)
    before = colours(page)

    department_archive(department=Department.objects.get(code="brand-content-marketing"))
    after = colours(page)

    del before["dept-brand-content-marketing"]
    assert after == before


def test_department_and_role_pages_use_their_departments_colour(logged_in):
    page = logged_in(DESKTOP)
    chart = colours(page)
    department_move(
        department=Department.objects.get(code="finance"),
        target=Department.objects.get(code="company"),
        position="first-child",
    )

    page.goto(reverse("departments:detail", kwargs={"code": "finance"}))
    hero = page.locator(".hero").evaluate("hero => getComputedStyle(hero).borderTopColor")
    page.goto(reverse("roles:detail", kwargs={"code": "financial-accountant"}))
    role_hero = page.locator(".hero").evaluate("hero => getComputedStyle(hero).borderTopColor")
    assert hero == role_hero == chart["dept-finance"]
