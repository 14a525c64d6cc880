"""What every API read by token costs, made cheaper without changing what it does: the token's
header and query (orgportal.api.authentication), the throttles' counting
(orgportal.api.throttling) and the request's log line (orgportal.logging)."""

import io
import json
import logging
import math
import random
import threading
import time
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import caches
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIRequestFactory

from orgportal.api import authentication
from orgportal.api.authentication import OrgTokenAuthentication
from orgportal.api.throttling import UserThrottle
from orgportal.logging import JSONFormatter, StreamHandler, _flat_json, _iso_time
from tests.conftest import token_client
from tests.orgportal.test_cache import shared_redis  # noqa: F401 - a fixture

DETAIL_URL = "/api/v1/departments/digital-operations/"

# -- the token -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic cm9vdDpyb290",
        "Token",
        "token",
        "Token a b",
        "Token caf\xe9",
        "Bearer abc",
    ],
    ids=["none", "empty", "basic", "no key", "lower case", "spaces", "latin-1 key", "bearer"],
)
def test_the_header_is_read_as_drfs_token_authentication_reads_it(db, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}

    assert _outcome(OrgTokenAuthentication(), extra) == _outcome(TokenAuthentication(), extra)


def test_a_bad_key_fails_as_with_drf(db):
    extra = {"HTTP_AUTHORIZATION": "Token not-a-token"}

    assert _outcome(OrgTokenAuthentication(), extra) == _outcome(TokenAuthentication(), extra)
    assert _outcome(OrgTokenAuthentication(), extra) != _outcome(TokenAuthentication(), {})


def _outcome(authentication, extra):
    request = APIRequestFactory().get("/", **extra)
    try:
        return authentication.authenticate(request)
    except exceptions.AuthenticationFailed as error:
        return str(error.detail)


def test_the_token_built_later_is_the_tokens_row(viewer):
    token = Token.objects.create(user=viewer)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token.key}")
    authenticator = OrgTokenAuthentication()

    user = authenticator.authenticate_user(request)
    found_user, found = authenticator.authenticate(request)

    assert found_user is user and user == viewer
    assert (found.pk, found.user) == (token.pk, viewer)
    # As the token query reads it (SQLite's driver gives the column without its time zone).
    assert found.created.replace(tzinfo=None) == token.created.replace(tzinfo=None)
    # Asked again (the view after the shortcut): the same answer, no query.
    assert authenticator.authenticate(request) == (found_user, found)


def test_the_view_after_the_shortcut_gets_the_token_as_request_auth(
    seed_org, viewer, view_runs, django_assert_num_queries
):
    client = token_client(viewer)
    token = Token.objects.get(user=viewer)

    # Not cached yet: the shortcut authenticates, then leaves the request to the view.
    assert client.get(DETAIL_URL).status_code == 200

    [(_view, request, *_rest)] = [call.args for call in view_runs.call_args_list]
    assert request.user == viewer
    assert (request.auth.key, request.auth.user) == (token.key, viewer)
    assert request.auth.created.replace(tzinfo=None) == token.created.replace(tzinfo=None)


def test_the_query_follows_the_authentication_backends(settings, db):
    reads_permissions = authentication._query()
    assert "_orgportal_user_permissions" in reads_permissions

    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    without = authentication._query()
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

    assert "_orgportal_user_permissions" not in without
    assert authentication._query() == reads_permissions


def test_a_permission_given_is_there_at_the_next_request(viewer):
    token = Token.objects.create(user=viewer)

    def user():
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token.key}")
        return OrgTokenAuthentication().authenticate(request)[0]

    assert not user().has_perm("roles.change_role")
    viewer.user_permissions.add(Permission.objects.get(codename="change_role"))

    assert user().has_perm("roles.change_role")


# -- the throttles ---------------------------------------------------------------------------


@pytest.fixture
def three_a_minute(settings):
    settings.ORGPORTAL_API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}


def _counts(client, times):
    return [client.get("/api/v1/roles/").status_code for _ in range(times)]


def test_the_throttle_counts_in_redis_with_the_windows_lifetime(
    seed_org,
    viewer,
    three_a_minute,
    shared_redis,  # noqa: F811 - the fixture
):
    window = int(time.time() // 60)
    statuses = _counts(token_client(viewer), 4)
    if int(time.time() // 60) != window:
        pytest.skip("the requests straddled two windows")

    key = f"throttle_user_{viewer.pk}:{window}"
    assert statuses == [200, 200, 200, 429]
    assert caches["default"].get(key) == 4
    assert 0 < caches["default"]._cache.get_client(key).ttl(caches["default"].make_key(key)) <= 61


def test_a_windows_first_request_adds_the_counter_with_its_lifetime(seed_org, viewer):
    throttle = UserThrottle()
    throttle.rate, throttle.num_requests, throttle.duration = "3/minute", 3, 60
    request = APIRequestFactory().get("/")
    request.user = viewer
    with mock.patch.object(throttle.cache, "add", wraps=throttle.cache.add) as add:
        assert throttle.allow_request(request, None)
        assert throttle.count_request(request, None)

    [call] = add.call_args_list
    assert call.args[1] == 1 and call.kwargs == {"timeout": 61}


@pytest.mark.parametrize(
    ("incr", "added", "expected"),
    [
        ([5], None, 5),  # the counter is there
        ([ValueError, 2], False, 2),  # added by another request meanwhile
        ([ValueError, ValueError], False, 1),  # added, then expired meanwhile: set again
        ([ValueError], True, 1),  # the window's first request
    ],
    ids=["counted", "added meanwhile", "expired meanwhile", "first"],
)
def test_every_request_is_counted_once_whatever_the_race(incr, added, expected):
    throttle = UserThrottle()
    throttle.duration = 60
    cache = mock.Mock()
    cache.incr.side_effect = incr
    cache.add.return_value = added
    throttle.cache = cache

    assert throttle._count("key") == expected
    assert cache.incr.call_count == len(incr)
    assert cache.add.call_count == (added is not None)
    assert cache.set.call_count == (incr == [ValueError, ValueError])


# -- the log line ----------------------------------------------------------------------------


def _reference_time(created):
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def test_the_time_is_written_as_datetime_writes_it():
    rng = random.Random(11)
    times = [0.0, 0.0005, 0.9995, 1.5e9 + 0.9999995, 1.5e9 + 0.9999996, 1764210520.0000005]
    times += [rng.uniform(0, 4e9) for _ in range(20000)]
    times += [1764210520 + rng.randrange(10**7) / 10**7 for _ in range(20000)]
    times += [1764210520.9995 + rng.randrange(-50, 50) * 1e-9 for _ in range(2000)]

    assert [_iso_time(created) for created in times] == [_reference_time(t) for t in times]


FLAT_VALUES = ["GET", '中文 \u2028 " \\ \n \x00', "", 0, -5, 10**30, 1.5, 0.1, -0.0, 1e300]
FLAT_VALUES += [1e-7, True, False, None]


def test_a_flat_line_is_written_as_json_dumps_writes_it():
    rng = random.Random(3)
    for index in range(3000):
        names = ["time", "message", "user\u00e9", 'q"k', "路径"]
        entry = {
            f"{rng.choice(names)}{index % 5}": rng.choice(FLAT_VALUES)
            for _ in range(rng.randrange(9))
        }
        assert _flat_json(entry) == json.dumps(entry, ensure_ascii=False, default=str)


@pytest.mark.parametrize(
    "entry",
    [{"a": math.nan}, {"a": math.inf}, {"a": [1]}, {"a": object()}, {1: "x"}],
    ids=["nan", "infinity", "list", "object", "number key"],
)
def test_anything_else_is_left_to_json_dumps(entry):
    assert _flat_json(entry) is None


def _record(**extra):
    return logging.getLogger("orgportal.requests").makeRecord(
        "orgportal.requests", logging.INFO, __file__, 1, "%s %s", ("GET", "/"), None, "f", extra
    )


class _OldJSONFormatter(JSONFormatter):
    """The formatter as it was: json.dumps and datetime on every record."""

    def format(self, record):
        with (
            mock.patch("orgportal.logging._flat_json", return_value=None),
            mock.patch("orgportal.logging._iso_time", _reference_time),
        ):
            line = super().format(record)
        return json.dumps(json.loads(line), ensure_ascii=False, default=str)


@pytest.mark.parametrize(
    "extra",
    [
        {"method": "GET", "path": "/api/", "status": 200, "duration_ms": 1.2, "user": None},
        {"status_code": 404, "request_id": "abc", "nan": math.nan},
        {"thing": object(), "user": "王"},
    ],
    ids=["request", "nan", "object"],
)
def test_the_formatter_writes_what_it_wrote(extra):
    record = _record(**extra)

    assert JSONFormatter().format(record) == _OldJSONFormatter().format(record)


def test_the_handler_writes_whole_lines_from_many_threads():
    stream = io.StringIO()
    handler = StreamHandler(stream)
    handler.setFormatter(JSONFormatter())

    def write(thread):
        for index in range(300):
            handler.handle(_record(writer=thread, index=index, path="/" + "x" * 500))

    threads = [threading.Thread(target=write, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert sorted((line["writer"], line["index"]) for line in lines) == [
        (thread, index) for thread in range(8) for index in range(300)
    ]


def test_the_handler_reports_a_record_it_cannot_format_and_writes_nothing():
    stream = io.StringIO()
    handler = StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    record = _record()
    record.args = ("too few",)

    with mock.patch.object(handler, "handleError") as handle_error:
        handler.handle(record)

    handle_error.assert_called_once_with(record)
    assert stream.getvalue() == ""


def test_the_handler_writes_nothing_a_filter_refuses():
    stream = io.StringIO()
    handler = StreamHandler(stream)
    handler.addFilter(lambda record: False)

    assert not handler.handle(_record())
    assert stream.getvalue() == ""
