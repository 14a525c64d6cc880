"""Playwright with Debian's Chromium: one browser for the session, pages logged in per test."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
# Tests save their screenshots in an ignored folder, so a test run leaves the working tree as it
# was; `make screenshots` points this at docs/screenshots to refresh the README's pictures.
SCREENSHOTS = Path(
    os.environ.get("ORGPORTAL_SCREENSHOTS_DIR")
    or Path(settings.BASE_DIR) / "test-results" / "screenshots"
)
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    """Launch Chromium once; skip without it, or fail when ORGPORTAL_REQUIRE_BROWSER=1."""
    if not CHROMIUM.exists():
        message = (
            f"Chromium is not installed at {CHROMIUM}; "
            "install it with `apt-get install chromium fonts-wqy-microhei`."
        )
        if os.environ.get("ORGPORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and Django refuses database
    # access from a thread with a running loop unless told it is safe, as it is here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server):
    """Return a function that opens a page at a viewport size, in Chinese like our staff."""
    contexts = []

    def open_page(viewport=DESKTOP, **options):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale="zh-CN",
            device_scale_factor=1,
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def staff_user(transactional_db):
    return UserFactory(username="staff")


def log_in(page, username="staff"):
    """Log in through the login form, starting from the chart as a visitor would."""
    page.goto(reverse("chart:home"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**{reverse('chart:home')}")


@pytest.fixture
def logged_in(new_page, staff_user, seed_org):
    """Return a function that opens a logged-in page at a viewport size."""

    def open_logged_in(viewport=DESKTOP, **options):
        page = new_page(viewport, **options)
        log_in(page)
        return page

    return open_logged_in


def screenshot(page, name):
    """Save a screenshot of the whole page as ``SCREENSHOTS/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")


@pytest.fixture
def admin_page(new_page, seed_org, transactional_db):
    """Return a function that opens the admin, logged in as an HR editor."""
    UserFactory(username="hr-admin", is_staff=True, groups=["HR editors"])

    def open_admin(url, viewport=DESKTOP, **options):
        page = new_page(viewport, **options)
        page.goto(reverse("admin:login") + f"?next={url}")
        page.fill("#id_username", "hr-admin")
        page.fill("#id_password", PASSWORD)
        page.locator("#login-form [type=submit]").click()
        page.wait_for_url(f"**{url}")
        return page

    return open_admin
