"""The express lane (orgportal.api.express): a cached department read again by another reader,
answered with the headers learned from an earlier answer of its kind. It must give the same
status line, headers (in the same order), body and log line as Django's handler through the
whole chain and the view, with the same queries, signals and throttle counts, and leave every
other request to the shortcut's way unchanged."""

import hashlib
import inspect
import re
from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department
from orgportal.api import authentication, express
from orgportal.api.express import ExpressBody
from orgportal.api.shortcut import ShortcutWSGIHandler
from orgportal.cache import org_changed
from tests.orgportal.wsgi_calls import (
    DETAIL_URL,
    OTHER_REQUESTS,
    TREE_URL,
    call,
    connections_kept,
    environ,
    header,
    same_answer,
)

OTHER_URL = "/api/v1/departments/brand-content-marketing/"


def learned(shortcut, view, user, url=DETAIL_URL, **meta):
    """Have the view cache ``url`` and the shortcut answer it once (teaching the lane)."""
    view_answer = call(view, environ(url, user=user, **meta))
    assert view_answer[0] == "200 OK"
    assert call(shortcut, environ(url, user=user, **meta))[0] == "200 OK"
    return view_answer


def by_lane(shortcut, request):
    """Return the answer to ``request`` and whether the express lane gave it."""
    answers = []

    def answer(environ, shape):
        answers.append(lane_answer(environ, shape))
        return answers[-1]

    lane_answer = shortcut.express.answer
    with mock.patch.object(shortcut.express, "answer", side_effect=answer):
        answer = call(shortcut, request)
    return answer, any(answer is not None for answer in answers)


def test_the_portals_handler_has_an_express_lane(handlers):
    shortcut, _view = handlers()

    assert shortcut.express is not None


@pytest.mark.parametrize(
    "meta",
    [{}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ACCEPT_LANGUAGE": "zh-Hant"}, {"secure": True}],
    ids=["default language", "english", "traditional chinese", "https"],
)
@pytest.mark.parametrize("reader", ["superuser", "hr_editor", "viewer"])
def test_a_cached_department_is_answered_by_the_lane_as_the_view_answers_it(
    seed_org, request, reader, meta, handlers, view_runs
):
    shortcut, view = handlers()
    user = request.getfixturevalue(reader)
    learned(shortcut, view, user, **meta)
    call(view, environ(OTHER_URL, user=user, **meta))

    # The same department, and another one of the same kind.
    answers = [
        by_lane(shortcut, environ(url, user=user, **meta)) for url in (DETAIL_URL, OTHER_URL)
    ]

    assert [by_express for _answer, by_express in answers] == [True, True]
    assert view_runs.call_count == 2
    for (answer, _by_express), url in zip(answers, (DETAIL_URL, OTHER_URL), strict=True):
        assert answer[0] == "200 OK"
        same_answer(answer, call(view, environ(url, user=user, **meta)))


def test_the_lane_keeps_the_proxys_request_id(seed_org, viewer, handlers):
    shortcut, view = handlers()
    learned(shortcut, view, viewer)

    answer, by_express = by_lane(
        shortcut, environ(DETAIL_URL, user=viewer, HTTP_X_REQUEST_ID="from-the-proxy-1")
    )
    made_up, _ = by_lane(shortcut, environ(DETAIL_URL, user=viewer, HTTP_X_REQUEST_ID="bad id!"))

    assert by_express
    assert header(answer, "X-Request-ID") == "from-the-proxy-1"
    assert answer[3][0].request_id == "from-the-proxy-1"
    assert header(made_up, "X-Request-ID") not in ("bad id!", "from-the-proxy-1")


def test_the_lane_costs_the_token_query_only(
    seed_org, superuser, handlers, django_assert_num_queries
):
    shortcut, view = handlers()
    learned(shortcut, view, superuser)
    request = environ(DETAIL_URL, user=superuser)

    with django_assert_num_queries(1):
        answer, by_express = by_lane(shortcut, request)

    assert by_express and answer[0] == "200 OK"


def test_each_kind_of_request_is_learned_from_its_own_answer(seed_org, viewer, handlers):
    shortcut, view = handlers()
    learned(shortcut, view, viewer)
    call(view, environ(DETAIL_URL, user=viewer, HTTP_ACCEPT_LANGUAGE="en"))

    # Another language, another host name: answered the shortcut's way first.
    english, english_by_express = by_lane(
        shortcut, environ(DETAIL_URL, user=viewer, HTTP_ACCEPT_LANGUAGE="en")
    )
    again, again_by_express = by_lane(
        shortcut, environ(DETAIL_URL, user=viewer, HTTP_ACCEPT_LANGUAGE="en")
    )

    assert (english_by_express, again_by_express) == (False, True)
    assert header(again, "Content-Language") == "en"
    same_answer(again, english)
    assert len(shortcut.express.lanes) == 2


def test_a_viewer_is_not_answered_from_an_editors_lane(seed_org, hr_editor, viewer, handlers):
    """The lane's kind includes whether the reader sees archived departments, and so does the
    cached answer's name: an archived department an editor read stays hidden."""
    shortcut, view = handlers()
    department = Department.objects.get(code="digital-operations")
    department.is_active = False
    department.save()
    learned(shortcut, view, hr_editor)
    assert by_lane(shortcut, environ(DETAIL_URL, user=hr_editor))[1]

    answer, by_express = by_lane(shortcut, environ(DETAIL_URL, user=viewer))

    assert not by_express and answer[0] == "404 Not Found"
    same_answer(answer, call(view, environ(DETAIL_URL, user=viewer)))


def test_a_miss_is_handed_over_with_the_token_read_once(seed_org, viewer, handlers, view_runs):
    shortcut, view = handlers()
    request = environ(DETAIL_URL, user=viewer)
    learned(shortcut, view, viewer)
    org_changed()  # nothing cached for the new version
    view_runs.reset_mock()

    with CaptureQueriesContext(connection) as queries:
        answer, by_express = by_lane(shortcut, request)
    org_changed()
    with CaptureQueriesContext(connection) as view_queries:
        view_answer = call(view, request)

    assert not by_express and view_runs.call_count == 2
    assert len(queries) == len(view_queries)
    same_answer(answer, view_answer)
    assert "orgportal.express.handover" not in request


def _token_deleted(user):
    key = user.auth_token.key
    user.auth_token.delete()
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


# Requests the lane leaves to the shortcut's way, asked once the lane has learned.
LEFT_ALONE = {
    **OTHER_REQUESTS,
    "unknown token": lambda user: {"HTTP_AUTHORIZATION": "Token 0123456789abcdef"},
    "deleted token": _token_deleted,
    "token with spaces": lambda user: {"HTTP_AUTHORIZATION": "Token  a"},
    "no credentials": lambda user: {"HTTP_AUTHORIZATION": ""},
    "query string": lambda user: {"QUERY_STRING": "lang=en"},
    "session cookie": lambda user: {"HTTP_COOKIE": "sessionid=abc"},
    "if-none-match": lambda user: {"HTTP_IF_NONE_MATCH": '"abc"'},
    "if-modified-since": lambda user: {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2024 00:00:00 GMT"},
    "head": lambda user: {"REQUEST_METHOD": "HEAD"},
}


@pytest.mark.parametrize("case", LEFT_ALONE, ids=list(LEFT_ALONE))
def test_other_requests_are_left_to_the_shortcuts_way(seed_org, viewer, case, handlers):
    shortcut, view = handlers()
    learned(shortcut, view, viewer)
    meta = LEFT_ALONE[case](viewer)
    method = meta.pop("REQUEST_METHOD", "GET")
    request = environ(DETAIL_URL, method=method, user=viewer, **meta)

    answer, by_express = by_lane(shortcut, request)

    assert not by_express
    same_answer(answer, call(view, request))


@pytest.mark.parametrize("url", [TREE_URL, "/api/v1/departments/", "/api/v1/roles/"])
def test_other_addresses_are_left_to_the_shortcuts_way(seed_org, viewer, url, handlers):
    shortcut, view = handlers()
    learned(shortcut, view, viewer)
    request = environ(url, user=viewer)

    answer, by_express = by_lane(shortcut, request)

    assert not by_express
    same_answer(answer, call(view, request))


def test_each_request_is_counted_once_whichever_way_it_is_answered(seed_org, viewer, settings):
    settings.ORGPORTAL_API_THROTTLE_RATES = {"user": "4/minute", "anon": "2/minute"}
    shortcut = ShortcutWSGIHandler()
    request = environ(DETAIL_URL, user=viewer)
    # A miss (the view), a hit the shortcut's way (learned), two by the lane, then refused:
    # by the lane's count, answered the shortcut's way without counting it again.
    answers = [by_lane(shortcut, request) for _ in range(5)]

    assert [(answer[0][:3], by_express) for answer, by_express in answers] == [
        ("200", False),
        ("200", False),
        ("200", True),
        ("200", True),
        ("429", False),
    ]
    assert int(header(answers[-1][0], "Retry-After")) > 0


def test_signals_and_queries_come_in_django_order(seed_org, viewer, handlers):
    """request_started before the token query, request_finished once the body is read and
    closed: the connection handling of Django's handler (close_old_connections on both)."""
    shortcut, view = handlers()
    learned(shortcut, view, viewer)
    request = environ(DETAIL_URL, user=viewer)
    events = []

    def started(**kwargs):
        events.append(("started", kwargs["sender"]))

    def finished(**kwargs):
        events.append(("finished", kwargs["sender"]))

    def query(execute, sql, params, many, context):
        events.append(("query", None))
        return execute(sql, params, many, context)

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        with connections_kept(), connection.execute_wrapper(query):
            result = shortcut(request, lambda *args: None)
            before_close = list(events)
            result.close()
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)

    assert isinstance(result, ExpressBody)
    assert before_close == [("started", ShortcutWSGIHandler), ("query", None)]
    assert events == [*before_close, ("finished", ShortcutWSGIHandler)]


def test_an_error_on_the_lane_is_left_to_the_shortcuts_way(seed_org, viewer, handlers):
    shortcut, view = handlers()
    learned(shortcut, view, viewer)
    request = environ(DETAIL_URL, user=viewer)
    token_user = authentication._token_user
    errors = [DatabaseError("gone")]

    def fails_once(key):
        if errors:
            raise errors.pop()
        return token_user(key)

    failing = mock.patch.object(authentication, "_token_user", side_effect=fails_once)

    with failing as read_token:
        answer, by_express = by_lane(shortcut, request)

    assert not by_express and read_token.call_count == 2
    same_answer(answer, call(view, request))


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_left_open(seed_org, viewer):
    shortcut = ShortcutWSGIHandler()
    request = environ(DETAIL_URL, user=viewer)
    call(shortcut, request)  # a miss: the view's transaction
    call(shortcut, request)  # the shortcut's way, which teaches the lane

    answer, by_express = by_lane(shortcut, request)

    assert by_express and answer[0] == "200 OK"
    assert connection.get_autocommit() and not connection.in_atomic_block


def test_kinds_learned_are_bounded(seed_org, viewer, handlers, monkeypatch):
    monkeypatch.setattr(express, "LANES_LIMIT", 2)
    shortcut, view = handlers()
    for language in ("en", "zh-hans", "zh-hant"):
        learned(shortcut, view, viewer, HTTP_ACCEPT_LANGUAGE=language)

    assert len(shortcut.express.lanes) == 2
    assert not by_lane(shortcut, environ(DETAIL_URL, user=viewer, HTTP_ACCEPT_LANGUAGE="zh-hant"))[
        1
    ]


def test_insecure_requests_are_not_learned_where_they_may_be_redirected(
    seed_org, viewer, settings, handlers
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^api/v1/departments/digital-operations/$"]
    shortcut, view = handlers()
    learned(shortcut, view, viewer)  # exempt from the redirect: answered over plain HTTP

    exempt, exempt_by_express = by_lane(shortcut, environ(DETAIL_URL, user=viewer))
    other, _ = by_lane(shortcut, environ(OTHER_URL, user=viewer))

    assert not exempt_by_express and exempt[0] == "200 OK"
    assert other[0].startswith("301")
    same_answer(other, call(view, environ(OTHER_URL, user=viewer)))


@pytest.mark.parametrize(
    "setting",
    [
        {"DISALLOWED_USER_AGENTS": ["curl"]},
        {"FORCE_SCRIPT_NAME": "/portal"},
    ],
    ids=["user agents refused", "script name"],
)
def test_no_lane_where_the_headers_may_depend_on_more_than_the_kind(settings, setting):
    for name, value in setting.items():
        setattr(settings, name, value)

    assert ShortcutWSGIHandler().express is None


def test_a_request_through_the_proxy_over_https_is_another_kind(
    seed_org, viewer, settings, handlers
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    shortcut, view = handlers()
    learned(shortcut, view, viewer, HTTP_X_FORWARDED_PROTO="https")
    secure, secure_by_express = by_lane(
        shortcut, environ(DETAIL_URL, user=viewer, HTTP_X_FORWARDED_PROTO="https")
    )

    plain, plain_by_express = by_lane(shortcut, environ(DETAIL_URL, user=viewer))

    assert (secure_by_express, plain_by_express) == (True, False)
    assert "Strict-Transport-Security" in dict(secure[1])
    assert "Strict-Transport-Security" not in dict(plain[1])
    same_answer(plain, call(view, environ(DETAIL_URL, user=viewer)))


def test_a_setting_that_makes_headers_depend_on_the_path_stops_the_lane(
    seed_org, viewer, settings, handlers
):
    shortcut, view = handlers()
    learned(shortcut, view, viewer)

    settings.DISALLOWED_USER_AGENTS = [re.compile("curl")]
    learned(shortcut, view, viewer)

    assert not shortcut.express.lanes
    refused = environ(DETAIL_URL, user=viewer, HTTP_USER_AGENT="curl/8")
    answer, by_express = by_lane(shortcut, refused)
    assert not by_express and answer[0].startswith("403")


def test_a_changed_setting_forgets_what_was_learned(seed_org, viewer, settings, handlers):
    shortcut, view = handlers()
    learned(shortcut, view, viewer)
    assert shortcut.express.lanes

    settings.X_FRAME_OPTIONS = "SAMEORIGIN"

    assert not shortcut.express.lanes


# The sha256 of WSGIHandler.__call__'s source, whose lines after request_started
# ShortcutWSGIHandler.respond() repeats.
DJANGO_CALL = "8391f497d588b2a0021c078fdceb400705b194e3651cb795465e87c2057d4cf9"


def test_the_lines_taken_from_djangos_handler_are_still_djangos():
    """When Django changes WSGIHandler.__call__, compare it with respond() and update both."""
    source = inspect.getsource(WSGIHandler.__call__)

    assert hashlib.sha256(source.encode()).hexdigest() == DJANGO_CALL
