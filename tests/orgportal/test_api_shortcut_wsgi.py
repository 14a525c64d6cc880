"""The API's commonest reads answered before Django's middleware chain
(orgportal.api.shortcut.ShortcutWSGIHandler, the handler of orgportal/wsgi.py): the same status
line, headers (in the same order), body and request log line as Django's handler gives through
the whole chain and the view, the same queries, signals and throttle counts; and everything it
does not answer left to the chain unchanged."""

from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department
from orgportal.api.shortcut import SHORTCUT, ShortcutWSGIHandler
from orgportal.cache import org_changed
from tests.orgportal.wsgi_calls import (
    DETAIL_URL,
    OTHER_REQUESTS,
    TREE_URL,
    call,
    environ,
    header,
    same_answer,
)


def test_the_portals_handler_answers_before_the_chain(handlers):
    shortcut, _view = handlers()

    assert shortcut.front is not None


@pytest.mark.parametrize(
    "meta",
    [{}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"QUERY_STRING": "lang=zh-hant"}],
    ids=["default language", "accept-language", "lang parameter"],
)
@pytest.mark.parametrize("reader", ["superuser", "hr_editor", "viewer"])
def test_a_cached_department_is_answered_as_the_view_answers_it(
    seed_org, request, reader, meta, handlers, view_runs
):
    shortcut, view = handlers()
    user = request.getfixturevalue(reader)
    first = call(view, environ(DETAIL_URL, user=user, **meta))  # cached by the view
    assert first[0] == "200 OK" and view_runs.call_count == 1

    answer = call(shortcut, environ(DETAIL_URL, user=user, **meta))
    etag = header(answer, "ETag")
    not_modified = call(shortcut, environ(DETAIL_URL, user=user, HTTP_IF_NONE_MATCH=etag, **meta))

    assert view_runs.call_count == 1
    assert not_modified[0] == "304 Not Modified"
    same_answer(answer, first)
    same_answer(answer, call(view, environ(DETAIL_URL, user=user, **meta)))
    same_answer(
        not_modified, call(view, environ(DETAIL_URL, user=user, HTTP_IF_NONE_MATCH=etag, **meta))
    )


@pytest.mark.parametrize("if_none_match", [False, True], ids=["plain", "if-none-match"])
def test_head_of_a_cached_department_is_answered_as_the_view_answers_it(
    seed_org, viewer, if_none_match, handlers, view_runs
):
    shortcut, view = handlers()
    etag = header(call(view, environ(DETAIL_URL, user=viewer)), "ETag")
    meta = {"HTTP_IF_NONE_MATCH": etag} if if_none_match else {}

    answer = call(shortcut, environ(DETAIL_URL, method="HEAD", user=viewer, **meta))

    assert view_runs.call_count == 1
    assert answer[0] == "200 OK"
    same_answer(answer, call(view, environ(DETAIL_URL, method="HEAD", user=viewer, **meta)))


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("reader", ["superuser", "viewer"])
def test_the_tree_answers_304_as_the_view_does(
    seed_org, request, reader, method, handlers, view_runs
):
    shortcut, view = handlers()
    user = request.getfixturevalue(reader)
    url = f"{TREE_URL}?depth=1"
    etag = header(call(view, environ(url, user=user)), "ETag")

    answer = call(shortcut, environ(url, method=method, user=user, HTTP_IF_NONE_MATCH=etag))

    assert answer[0] == "304 Not Modified" and view_runs.call_count == 1
    same_answer(answer, call(view, environ(url, method=method, user=user, HTTP_IF_NONE_MATCH=etag)))


def test_secure_requests_get_the_same_security_headers(seed_org, viewer, settings, handlers):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_SSL_REDIRECT = True
    shortcut, view = handlers()
    call(view, environ(DETAIL_URL, user=viewer, secure=True))

    answer = call(shortcut, environ(DETAIL_URL, user=viewer, secure=True))

    assert header(answer, "Strict-Transport-Security").startswith("max-age=3600")
    same_answer(answer, call(view, environ(DETAIL_URL, user=viewer, secure=True)))
    # Over plain HTTP both redirect.
    insecure = call(shortcut, environ(DETAIL_URL, user=viewer))
    assert insecure[0].startswith("301")
    same_answer(insecure, call(view, environ(DETAIL_URL, user=viewer)))


def test_anonymous_readers_get_the_views_answers_when_reading_is_public(
    seed_org, settings, handlers, view_runs
):
    settings.ORGPORTAL_PUBLIC_READ = True
    shortcut, view = handlers()
    call(view, environ(DETAIL_URL))
    etag = header(call(view, environ(TREE_URL)), "ETag")
    calls = view_runs.call_count

    detail = call(shortcut, environ(DETAIL_URL))
    tree = call(shortcut, environ(TREE_URL, HTTP_IF_NONE_MATCH=etag))

    assert (detail[0], tree[0], view_runs.call_count) == ("200 OK", "304 Not Modified", calls)
    # An anonymous reader's session was looked at: the answers vary on the cookie.
    assert "Cookie" in header(detail, "Vary")
    same_answer(detail, call(view, environ(DETAIL_URL)))
    same_answer(tree, call(view, environ(TREE_URL, HTTP_IF_NONE_MATCH=etag)))


def test_a_cached_department_costs_the_token_query_only(
    seed_org, superuser, handlers, django_assert_num_queries
):
    shortcut, _view = handlers()
    request = environ(DETAIL_URL, user=superuser)
    call(shortcut, request)

    with django_assert_num_queries(1):
        assert call(shortcut, request)[0] == "200 OK"


def test_an_archived_department_cached_for_an_editor_stays_hidden_from_a_viewer(
    seed_org, hr_editor, viewer, handlers
):
    shortcut, view = handlers()
    department = Department.objects.get(code="digital-operations")
    department.is_active = False
    department.save()
    assert call(shortcut, environ(DETAIL_URL, user=hr_editor))[0] == "200 OK"

    answer = call(shortcut, environ(DETAIL_URL, user=viewer))

    assert answer[0] == "404 Not Found"
    same_answer(answer, call(view, environ(DETAIL_URL, user=viewer)))


# Requests the shortcut leaves to the chain (each answered once the department is cached).
FALL_THROUGH = {
    **OTHER_REQUESTS,
    "unknown token": lambda user: {"HTTP_AUTHORIZATION": "Token not-a-token"},
    "token with spaces": lambda user: {"HTTP_AUTHORIZATION": "Token a b"},
    "unknown language": lambda user: {"QUERY_STRING": "lang=xx"},
}


@pytest.mark.parametrize("case", FALL_THROUGH, ids=list(FALL_THROUGH))
def test_other_requests_go_through_the_chain_unchanged(seed_org, viewer, case, handlers):
    shortcut, view = handlers()
    call(view, environ(DETAIL_URL, user=viewer))
    meta = FALL_THROUGH[case](viewer)
    method = meta.pop("REQUEST_METHOD", "GET")
    chain = mock.patch.object(shortcut, "_middleware_chain", side_effect=shortcut._middleware_chain)

    with chain as through_chain:
        answer = call(shortcut, environ(DETAIL_URL, method=method, user=viewer, **meta))

    assert through_chain.call_count == 1
    same_answer(answer, call(view, environ(DETAIL_URL, method=method, user=viewer, **meta)))


def test_a_browsers_session_is_left_to_the_chain(seed_org, settings, handlers, view_runs):
    settings.ORGPORTAL_PUBLIC_READ = True
    shortcut, view = handlers()
    call(view, environ(DETAIL_URL))
    calls = view_runs.call_count

    answer = call(shortcut, environ(DETAIL_URL, HTTP_COOKIE="sessionid=abc"))

    assert view_runs.call_count == calls + 1
    same_answer(answer, call(view, environ(DETAIL_URL, HTTP_COOKIE="sessionid=abc")))


def test_a_token_with_a_session_cookie_is_answered_as_the_view_answers_it(
    seed_org, viewer, handlers, view_runs
):
    shortcut, view = handlers()
    request = environ(DETAIL_URL, user=viewer, HTTP_COOKIE="sessionid=abc")
    call(view, request)

    answer = call(shortcut, request)

    assert view_runs.call_count == 1
    same_answer(answer, call(view, request))


def test_a_miss_is_answered_by_the_view_with_the_token_read_once(
    seed_org, viewer, handlers, view_runs
):
    shortcut, view = handlers()
    request = environ(DETAIL_URL, user=viewer)
    call(shortcut, request)
    org_changed()  # nothing cached for the new version
    view_runs.reset_mock()

    with CaptureQueriesContext(connection) as queries:
        answer = call(shortcut, request)
    org_changed()
    with CaptureQueriesContext(connection) as view_queries:
        view_answer = call(view, request)

    assert view_runs.call_count == 2
    # The token query once, though both ways read it: as many queries as the view's alone.
    assert len(queries) == len(view_queries)
    same_answer(answer, view_answer)


def test_a_tree_as_of_a_date_is_left_to_the_view(seed_org, viewer, handlers, view_runs):
    shortcut, view = handlers()
    etag = header(call(view, environ(TREE_URL, user=viewer)), "ETag")
    url = f"{TREE_URL}?as_of=2020-01-01"

    answer = call(shortcut, environ(url, user=viewer, HTTP_IF_NONE_MATCH=etag))

    assert view_runs.call_count == 2
    same_answer(answer, call(view, environ(url, user=viewer, HTTP_IF_NONE_MATCH=etag)))


def test_each_request_is_counted_once_whichever_way_it_is_answered(seed_org, viewer, settings):
    settings.ORGPORTAL_API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}
    shortcut = ShortcutWSGIHandler()
    # A miss (counted before the chain, answered by the view), two hits, then the limit.
    answers = [call(shortcut, environ(DETAIL_URL, user=viewer)) for _ in range(4)]

    assert [answer[0][:3] for answer in answers] == ["200", "200", "200", "429"]
    assert int(header(answers[-1], "Retry-After")) > 0


def test_signals_and_queries_come_in_django_order(seed_org, viewer, handlers):
    """request_started before the token query, request_finished once the body is read: the
    connection handling of Django's handler (close_old_connections on both)."""
    shortcut, view = handlers()
    request = environ(DETAIL_URL, user=viewer)
    call(view, request)
    events = []

    def started(**kwargs):
        events.append("started")

    def finished(**kwargs):
        events.append("finished")

    def query(execute, sql, params, many, context):
        events.append("query")
        return execute(sql, params, many, context)

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        with connection.execute_wrapper(query):
            call(shortcut, request)
            fast = list(events)
            events.clear()
            call(view, request)
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)

    assert fast == ["started", "query", "finished"]
    assert events == ["started", "query", "finished"]


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_left_open(seed_org, viewer):
    """Outside a test's transaction: the connection is back in autocommit after a request
    answered before the chain, as after one answered by the view (ATOMIC_REQUESTS)."""
    shortcut = ShortcutWSGIHandler()
    call(shortcut, environ(DETAIL_URL, user=viewer))  # a miss: the view's transaction

    answer = call(shortcut, environ(DETAIL_URL, user=viewer))

    assert answer[0] == "200 OK"
    assert connection.get_autocommit() and not connection.in_atomic_block


def test_without_the_shortcut_middleware_nothing_is_answered_before_the_chain(settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != SHORTCUT]

    assert ShortcutWSGIHandler().front is None


def test_a_middleware_it_does_not_know_before_the_shortcut_stops_the_start(settings):
    # GZip would change the answers: it must be placed after the shortcut, or described.
    settings.MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *settings.MIDDLEWARE]

    with pytest.raises(ImproperlyConfigured, match="GZipMiddleware"):
        ShortcutWSGIHandler()
