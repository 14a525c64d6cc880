"""Logs: one JSON line per request in production, errors as JSON with their tracebacks."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path
from rest_framework.authtoken.models import Token

from orgportal.logging import JSONFormatter

ROOT = Path(__file__).resolve().parents[2]


def explode(request):
    raise RuntimeError("the view exploded")


# A URLconf for the error tests: the portal itself has no view that fails on purpose.
urlpatterns = [path("explode/", explode)]


@pytest.fixture
def log_lines():
    """Capture the request log and Django's error log as the production handler formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    loggers = [logging.getLogger("orgportal.requests"), logging.getLogger("django.request")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    lines = []

    def read():
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())
        stream.seek(0)
        stream.truncate()
        return lines

    yield read
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def request_lines(lines):
    return [line for line in lines if line["logger"] == "orgportal.requests"]


def test_each_request_is_one_line_with_method_path_status_duration_and_user(
    client, viewer, seed_org, log_lines
):
    client.force_login(viewer)

    response = client.get("/", HTTP_X_REQUEST_ID="proxy-id-42")

    [line] = request_lines(log_lines())
    assert response.status_code == 200
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user"] == "viewer"
    assert line["request_id"] == "proxy-id-42" == response["X-Request-ID"]
    assert line["message"].startswith("GET / 200 ")
    assert line["time"].endswith("+00:00")


def test_an_api_call_with_a_token_is_logged_with_the_tokens_user(
    client, viewer, seed_org, log_lines
):
    token = Token.objects.create(user=viewer)

    response = client.get("/api/v1/departments/tree/", HTTP_AUTHORIZATION=f"Token {token.key}")

    [line] = request_lines(log_lines())
    assert response.status_code == 200
    assert (line["path"], line["status"], line["user"]) == (
        "/api/v1/departments/tree/",
        200,
        "viewer",
    )


def test_an_anonymous_request_is_logged_without_a_user(client, db, log_lines):
    client.get("/accounts/login/")

    [line] = request_lines(log_lines())
    assert line["user"] is None


def test_a_request_id_that_does_not_look_like_one_is_replaced(client, db, log_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith a line break")

    [line] = request_lines(log_lines())
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32 and "\n" not in line["request_id"]


@pytest.mark.parametrize(
    ("path", "status", "level"),
    [
        ("/healthz", 200, "DEBUG"),
        ("/accounts/login/", 200, "INFO"),
        ("/no-such-page/", 404, "WARNING"),
    ],
)
def test_the_level_says_how_the_request_went(client, db, log_lines, path, status, level):
    client.get(path)

    [line] = request_lines(log_lines())
    assert (line["status"], line["level"]) == (status, level)


@pytest.mark.urls(__name__)
def test_an_error_is_logged_as_json_with_its_traceback_and_the_requests_id(db, log_lines):
    client = Client(raise_request_exception=False)

    response = client.get("/explode/")

    lines = log_lines()
    [error] = [line for line in lines if line["logger"] == "django.request"]
    [request] = request_lines(lines)
    assert response.status_code == 500
    assert error["level"] == "ERROR"
    assert error["exc_type"] == "RuntimeError"
    assert "Traceback (most recent call last)" in error["traceback"]
    assert "the view exploded" in error["traceback"]
    assert (error["method"], error["path"], error["status"]) == ("GET", "/explode/", 500)
    assert error["request_id"] == request["request_id"]
    assert (request["status"], request["level"]) == (500, "ERROR")


def test_the_formatter_keeps_plain_extras_and_drops_objects():
    record = logging.LogRecord("orgportal", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.count = 3
    record.thing = object()

    line = json.loads(JSONFormatter().format(record))

    assert line["message"] == "hello you"
    assert line["count"] == 3
    assert "thing" not in line


def test_the_formatter_writes_chinese_as_it_is():
    record = logging.LogRecord("orgportal", logging.INFO, __file__, 1, "数字运营部", None, None)

    assert "数字运营部" in JSONFormatter().format(record)


SERVE = """
import os, sys
import django

os.environ["DJANGO_SETTINGS_MODULE"] = "orgportal.settings"
django.setup()
from django.test import Client
from django.test.utils import override_settings, setup_test_environment

setup_test_environment()
with override_settings(ROOT_URLCONF="tests.orgportal.test_logging"):
    Client(raise_request_exception=False).get("/explode/", secure=True)
"""


def serve_one_failing_request(**variables):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ENV_FILE": "",
        "SECRET_KEY": "logging-test-key",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "sqlite:///:memory:",
        **variables,
    }
    result = subprocess.run(
        [sys.executable, "-c", SERVE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_production_writes_every_log_line_as_json_on_stdout():
    stdout = serve_one_failing_request(DEBUG="0")

    lines = [json.loads(line) for line in stdout.splitlines()]
    assert [line["logger"] for line in lines] == ["django.request", "orgportal.requests"]
    assert "RuntimeError: the view exploded" in lines[0]["traceback"]
    assert lines[1]["status"] == 500


def test_debug_keeps_readable_text_logs():
    stdout = serve_one_failing_request(DEBUG="1")

    assert "ERROR django.request: Internal Server Error: /explode/" in stdout
    assert "RuntimeError: the view exploded" in stdout
    assert not stdout.lstrip().startswith("{")
