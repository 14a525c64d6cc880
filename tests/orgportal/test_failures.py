"""When a dependency fails: the API answers its error format (503 for the database or the
cache), pages get a branded, translated 500 page with the request id, and a Redis that does
not answer fails no write and shows in /readyz."""

import logging
import socket

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import IntegrityError, OperationalError
from django.test import Client, override_settings
from rest_framework.test import APIClient

from departments.api.views import DepartmentViewSet
from departments.models import Department
from orgportal.chart.views import OrgChartView
from tests.conftest import token_client

DATABASE_DOWN = OperationalError('connection to server at "10.1.2.3", port 5432 failed')


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def json_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    assert "10.1.2.3" not in response.content.decode()
    return error


@pytest.fixture
def api_client(seed_org, viewer):
    client = token_client(viewer)
    client.raise_request_exception = False
    return client


def test_the_database_failing_inside_an_api_view_is_a_503(api_client, monkeypatch):
    def down(self, request, *args, **kwargs):
        raise DATABASE_DOWN

    monkeypatch.setattr(DepartmentViewSet, "list", down)
    error = json_error(api_client.get("/api/v1/departments/"), 503)
    assert error["code"] == "database_unavailable"


def test_the_database_failing_around_an_api_view_is_a_503_in_the_error_format(
    api_client, monkeypatch, caplog
):
    # As when the request's transaction cannot begin: the error escapes the API view.
    def down(self, request, *args, **kwargs):
        raise DATABASE_DOWN

    monkeypatch.setattr(DepartmentViewSet, "initialize_request", down)
    error = json_error(api_client.get("/api/v1/departments/"), 503)
    assert error["code"] == "database_unavailable"
    errors = [record for record in caplog.records if record.exc_info]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR


def test_a_failed_commit_of_an_api_write_is_a_409_in_the_error_format(api_client, monkeypatch):
    def conflict(self, request, *args, **kwargs):
        raise IntegrityError("deferred foreign key check failed at commit")

    monkeypatch.setattr(DepartmentViewSet, "initialize_request", conflict)
    assert json_error(api_client.get("/api/v1/departments/"), 409)["code"] == "conflict"


def test_the_database_failing_in_a_middleware_is_a_503_for_the_api(seed_org, monkeypatch):
    def down(self, request):
        raise DATABASE_DOWN

    monkeypatch.setattr(SessionMiddleware, "process_request", down)
    client = APIClient(raise_request_exception=False)
    assert json_error(client.get("/api/v1/departments/"), 503)["code"] == "database_unavailable"


@pytest.mark.parametrize(
    ("language", "title"), [("zh-hans", "出错了"), ("en", "Something went wrong")]
)
def test_a_page_that_fails_gets_the_branded_500_page_with_the_request_id(
    seed_org, viewer, monkeypatch, language, title
):
    def down(self, request, *args, **kwargs):
        raise DATABASE_DOWN

    monkeypatch.setattr(OrgChartView, "get", down)
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(viewer)
    response = client.get("/")
    assert response.status_code == 500
    content = response.content.decode()
    assert title in content
    assert response["X-Request-ID"] in content
    assert "portal.css" in content and "10.1.2.3" not in content


def test_the_500_page_renders_even_when_the_database_is_down_in_the_middleware(
    seed_org, monkeypatch
):
    def down(self, request):
        raise DATABASE_DOWN

    monkeypatch.setattr(SessionMiddleware, "process_request", down)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert response["X-Request-ID"] in response.content.decode()


def test_an_unknown_page_gets_the_branded_404_page(viewer_client, seed_org):
    response = viewer_client.get("/departments/no-such-department/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "empty-state__code" in content and "portal.css" in content


@pytest.fixture
def redis_down(settings):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_URL = url
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    # As the settings make them with REDIS_URL: the rendered API answers in Redis too.
    settings.CACHES = {"default": redis, "responses": {**redis, "KEY_PREFIX": "responses"}}


def test_writes_succeed_while_redis_does_not_answer(hr, redis_down, caplog):
    response = hr.patch("/api/v1/departments/finance/", {"tagline": "缓存不在也能写"})
    assert response.status_code == 200, response.content
    assert Department.objects.get(code="finance").tagline == "缓存不在也能写"
    assert hr.get("/api/v1/departments/finance/").status_code == 200
    # The organisation version is in the database: the write did not need the cache at all.
    assert hr.get("/api/v1/departments/tree/").json()["children"][0]["code"]


def test_readyz_reports_a_redis_that_does_not_answer(client, db, redis_down):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "cache": "unreachable"}


def test_readyz_reports_the_cache_when_redis_is_set(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    response = client.get("/readyz")
    assert response.json() in (
        {"status": "ok", "cache": "ok"},
        {"status": "degraded", "cache": "unreachable"},
    )


@override_settings(REDIS_URL="")
def test_readyz_without_redis_says_nothing_of_a_cache(client, db):
    assert client.get("/readyz").json() == {"status": "ok"}
