"""The API's commonest reads answered before the view (orgportal.api.shortcut): the same
answers as the view's, to the same readers only, counted once by the throttles."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rest_framework.test import APIClient

from departments.models import Department
from orgportal.api.shortcut import SHORTCUT, ApiShortcutMiddleware
from tests.conftest import token_client
from tests.factories import UserFactory

TREE_URL = "/api/v1/departments/tree/"
DETAIL_URL = "/api/v1/departments/digital-operations/"


@pytest.fixture
def without_shortcut(settings):
    """Return a function that sends a request the way it went before the shortcut."""
    middleware = [name for name in settings.MIDDLEWARE if name != SHORTCUT]

    def send(client, url, **extra):
        # A new client loads the middleware of the settings in force.
        other = APIClient()
        other.cookies = client.cookies
        other._credentials = client._credentials
        with override_settings(MIDDLEWARE=middleware):
            return other.get(url, **extra)

    return send


def same_answer(shortcut, view):
    """Assert that two responses are the same, but for their request ids."""
    assert shortcut.status_code == view.status_code
    assert shortcut.content == view.content
    headers = {name: value for name, value in shortcut.headers.items() if name != "X-Request-ID"}
    assert headers == {
        name: value for name, value in view.headers.items() if name != "X-Request-ID"
    }


@pytest.mark.parametrize(
    "extra",
    [{}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"QUERY_STRING": "lang=zh-hant"}],
    ids=["default language", "accept-language", "lang parameter"],
)
@pytest.mark.parametrize("reader", ["superuser", "hr_editor", "viewer"])
def test_a_cached_department_is_answered_as_the_view_answers_it(
    seed_org, request, reader, extra, without_shortcut, view_runs
):
    client = token_client(request.getfixturevalue(reader))
    first = client.get(DETAIL_URL, **extra)  # cached by the view
    assert first.status_code == 200 and view_runs.call_count == 1

    shortcut = client.get(DETAIL_URL, **extra)
    etag = shortcut["ETag"]
    not_modified = client.get(DETAIL_URL, HTTP_IF_NONE_MATCH=etag, **extra)

    assert view_runs.call_count == 1
    assert not_modified.status_code == 304
    same_answer(shortcut, first)
    same_answer(shortcut, without_shortcut(client, DETAIL_URL, **extra))
    same_answer(
        not_modified, without_shortcut(client, DETAIL_URL, HTTP_IF_NONE_MATCH=etag, **extra)
    )


def test_a_cached_department_costs_the_token_query_only(
    seed_org, superuser, django_assert_num_queries
):
    client = token_client(superuser)
    client.get(DETAIL_URL)
    with django_assert_num_queries(1):
        assert client.get(DETAIL_URL).status_code == 200


def test_an_archived_department_cached_for_an_editor_stays_hidden_from_a_viewer(
    seed_org, hr_editor, viewer, view_runs
):
    department = Department.objects.get(code="digital-operations")
    department.is_active = False
    department.save()
    assert token_client(hr_editor).get(DETAIL_URL).status_code == 200

    response = token_client(viewer).get(DETAIL_URL)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("reader", ["superuser", "hr_editor", "viewer"])
def test_the_tree_answers_304_as_the_view_does(
    seed_org, request, reader, without_shortcut, view_runs
):
    client = token_client(request.getfixturevalue(reader))
    etag = client.get(TREE_URL, {"depth": 1})["ETag"]
    assert view_runs.call_count == 1

    shortcut = client.get(TREE_URL, {"depth": 1}, HTTP_IF_NONE_MATCH=etag)

    assert shortcut.status_code == 304 and view_runs.call_count == 1
    same_answer(
        shortcut,
        without_shortcut(client, f"{TREE_URL}?depth=1", HTTP_IF_NONE_MATCH=etag),
    )
    assert shortcut["ETag"] == etag and shortcut["Last-Modified"]


def test_a_304_to_the_tree_is_refused_once_the_reader_may_no_longer_see_archived_items(
    seed_org, hr_editor
):
    client = token_client(hr_editor)
    etag = client.get(TREE_URL)["ETag"]
    hr_editor.groups.clear()

    response = client.get(TREE_URL, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_304_to_the_tree_needs_the_reader_to_be_allowed(seed_org, viewer, settings):
    etag = token_client(viewer).get(TREE_URL)["ETag"]
    anonymous = APIClient()

    assert anonymous.get(TREE_URL, HTTP_IF_NONE_MATCH=etag).status_code == 401
    # Another reader's ETag is not theirs.
    settings.ORGPORTAL_PUBLIC_READ = True
    assert anonymous.get(TREE_URL, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_anonymous_readers_get_the_views_answers_when_reading_is_public(
    seed_org, settings, without_shortcut, view_runs
):
    settings.ORGPORTAL_PUBLIC_READ = True
    client = APIClient()
    client.get(DETAIL_URL)
    etag = client.get(TREE_URL)["ETag"]
    calls = view_runs.call_count

    detail = client.get(DETAIL_URL)
    tree = client.get(TREE_URL, HTTP_IF_NONE_MATCH=etag)

    assert (detail.status_code, tree.status_code, view_runs.call_count) == (200, 304, calls)
    same_answer(detail, without_shortcut(client, DETAIL_URL))
    same_answer(tree, without_shortcut(client, TREE_URL, HTTP_IF_NONE_MATCH=etag))


def test_anonymous_readers_are_refused_by_the_view_when_reading_is_not_public(seed_org):
    token_client(UserFactory()).get(DETAIL_URL)  # cached for readers without permissions

    response = APIClient().get(DETAIL_URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "authorization",
    ["Token not-a-token", "Token", "Token two words", "Basic cm9vdDpyb290"],
    ids=["unknown token", "no key", "spaces", "another scheme"],
)
def test_bad_credentials_are_answered_by_the_view(
    seed_org, superuser, authorization, without_shortcut
):
    token_client(superuser).get(DETAIL_URL)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.get(DETAIL_URL)

    assert response.status_code == 401
    same_answer(response, without_shortcut(client, DETAIL_URL))


def test_an_inactive_users_token_is_refused(seed_org, viewer):
    client = token_client(viewer)
    client.get(DETAIL_URL)
    viewer.is_active = False
    viewer.save()

    assert client.get(DETAIL_URL).status_code == 401


def test_a_browser_session_is_left_to_the_view(seed_org, viewer_client, view_runs):
    viewer_client.get(DETAIL_URL)

    assert viewer_client.get(DETAIL_URL).status_code == 200
    assert view_runs.call_count == 2


@pytest.mark.parametrize(
    "extra",
    [{"QUERY_STRING": "format=json"}, {"HTTP_ACCEPT": "application/json"}],
    ids=["format", "accept"],
)
def test_other_reads_are_left_to_the_view(seed_org, viewer, extra, view_runs):
    client = token_client(viewer)
    client.get(DETAIL_URL)

    response = client.get(DETAIL_URL, **extra)

    assert response.status_code == 200 and view_runs.call_count == 2


@pytest.mark.parametrize("if_none_match", [False, True], ids=["plain", "if-none-match"])
def test_head_of_a_cached_department_is_answered_as_the_view_answers_it(
    seed_org, viewer, if_none_match, without_shortcut, view_runs
):
    client = token_client(viewer)
    etag = client.get(DETAIL_URL)["ETag"]
    extra = {"HTTP_IF_NONE_MATCH": etag} if if_none_match else {}

    shortcut = client.head(DETAIL_URL, **extra)

    assert view_runs.call_count == 1
    # The view's conditional answers are for GET only: HEAD gets the headers of a 200.
    assert shortcut.status_code == 200 and shortcut["ETag"] == etag
    view = APIClient()
    view._credentials = client._credentials
    with override_settings(MIDDLEWARE=[name for name in settings.MIDDLEWARE if name != SHORTCUT]):
        same_answer(shortcut, view.head(DETAIL_URL, **extra))


def test_head_of_the_tree_answers_304_as_the_view_does(seed_org, viewer, view_runs):
    client = token_client(viewer)
    etag = client.get(TREE_URL)["ETag"]

    shortcut = client.head(TREE_URL, HTTP_IF_NONE_MATCH=etag)

    assert shortcut.status_code == 304 and view_runs.call_count == 1
    view = APIClient()
    view._credentials = client._credentials
    with override_settings(MIDDLEWARE=[name for name in settings.MIDDLEWARE if name != SHORTCUT]):
        same_answer(shortcut, view.head(TREE_URL, HTTP_IF_NONE_MATCH=etag))


def test_a_tree_as_of_a_date_is_left_to_the_view(seed_org, viewer, view_runs):
    client = token_client(viewer)
    etag = client.get(TREE_URL)["ETag"]

    client.get(TREE_URL, {"as_of": "2020-01-01"}, HTTP_IF_NONE_MATCH=etag)

    assert view_runs.call_count == 2


def test_an_unknown_host_is_refused_as_before(seed_org, viewer, without_shortcut, view_runs):
    client = token_client(viewer)
    client.get(DETAIL_URL)

    response = client.get(DETAIL_URL, HTTP_HOST="evil.example.com")

    assert response.status_code >= 400
    same_answer(response, without_shortcut(client, DETAIL_URL, HTTP_HOST="evil.example.com"))


@pytest.fixture
def throttled(settings):
    settings.ORGPORTAL_API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}


def test_each_request_is_counted_once_whichever_way_it_is_answered(seed_org, viewer, throttled):
    client = token_client(viewer)
    # A miss (counted by the shortcut, answered by the view), two hits, then the limit.
    statuses = [client.get(DETAIL_URL).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get(DETAIL_URL)
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_anonymous_readers_are_counted_once_too(seed_org, throttled, settings):
    settings.ORGPORTAL_PUBLIC_READ = True
    client = APIClient()

    assert [client.get(DETAIL_URL).status_code for _ in range(3)] == [200, 200, 429]


def test_the_request_log_names_the_tokens_user(seed_org, viewer, caplog):
    client = token_client(viewer)
    client.get(DETAIL_URL)
    caplog.clear()

    with caplog.at_level("INFO", logger="orgportal.requests"):
        client.get(DETAIL_URL)

    (record,) = [r for r in caplog.records if r.name == "orgportal.requests"]
    assert (record.status, record.user) == (200, "viewer")


def test_a_middleware_it_does_not_know_after_it_stops_the_start(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "example.UnknownMiddleware"]

    with pytest.raises(ImproperlyConfigured, match="example.UnknownMiddleware"):
        ApiShortcutMiddleware(lambda request: None)
