"""The API's documentation pages load nothing from other sites."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("docs", ["api:redoc", "api:docs"])
def test_the_api_docs_load_every_asset_from_the_portal(new_page, live_server, docs):
    page = new_page(DESKTOP)
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(reverse(docs))
    if docs == "api:redoc":
        # ReDoc draws once it has fetched and parsed the whole schema: slow on a busy machine.
        expect(page.get_by_text("API docs by Redocly")).to_be_visible(timeout=30_000)
        expect(page.locator("img[alt='redocly logo']")).to_have_count(0)
    else:
        expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    page.wait_for_load_state("networkidle")

    # ReDoc runs a worker from a blob: address that it makes in the page itself.
    local = (live_server.url, "data:", f"blob:{live_server.url}")
    elsewhere = [url for url in requested if not url.startswith(local)]
    assert elsewhere == []
