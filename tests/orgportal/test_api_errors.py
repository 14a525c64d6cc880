"""Every API error, whatever its cause, comes in the one error format."""

import logging

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from departments.api.views import DepartmentViewSet


@pytest.fixture
def hr(seed_org, hr_editor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hr_editor).key}")
    return client


def error_of(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    assert error["message"]
    return error


def test_a_body_that_is_not_json_is_a_400_parse_error(hr):
    response = hr.generic(
        "POST", "/api/v1/departments/", "{not json", content_type="application/json"
    )
    assert error_of(response, 400)["code"] == "parse_error"


def test_a_body_in_another_format_is_a_415(hr):
    response = hr.post("/api/v1/departments/", {"code": "x"}, format="multipart")
    assert error_of(response, 415)["code"] == "unsupported_media_type"


def test_validation_errors_name_every_bad_field(hr):
    response = hr.post("/api/v1/roles/", {"code": "bad code", "department": "nowhere"})
    error = error_of(response, 400)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"code", "department", "title"}
    assert all(
        isinstance(message, str) for messages in error["fields"].values() for message in messages
    )


def test_errors_follow_the_requested_language(hr):
    english = hr.get("/api/v1/departments/nowhere/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = hr.get("/api/v1/departments/nowhere/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert error_of(english, 404)["code"] == error_of(chinese, 404)["code"] == "not_found"


def test_an_unexpected_failure_is_a_500_in_the_error_format_and_logged(hr, monkeypatch, caplog):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(DepartmentViewSet, "list", broken)
    response = hr.get("/api/v1/departments/")
    assert error_of(response, 500)["code"] == "server_error"
    assert "boom" not in response.content.decode()
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert len(logged) == 1
    assert logged[0].exc_info[1].args == ("boom",)


def test_a_body_over_the_size_limit_is_a_413_without_an_error_in_the_log(hr, caplog):
    body = '{"code": "big", "name": "' + "大" * (4 * 1024 * 1024) + '"}'
    response = hr.generic("POST", "/api/v1/departments/", body, content_type="application/json")
    assert error_of(response, 413)["code"] == "too_large"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_body_read_before_the_parser_is_a_413_too(hr, caplog, monkeypatch):
    # Django refuses request.body above DATA_UPLOAD_MAX_MEMORY_SIZE with RequestDataTooBig.
    def read_body_first(self, request, *args, **kwargs):
        request.body  # noqa: B018 - reading it is the point
        return original(self, request, *args, **kwargs)

    original = DepartmentViewSet.create
    monkeypatch.setattr(DepartmentViewSet, "create", read_body_first)
    body = '{"code": "big", "name": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = hr.generic("POST", "/api/v1/departments/", body, content_type="application/json")
    assert error_of(response, 413)["code"] == "too_large"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "body",
    ["[" * 50_000 + "]" * 50_000, '{"a":' * 50_000 + "1" + "}" * 50_000, "[" * 40 + "]" * 40],
    ids=["50,000 nested arrays", "50,000 nested objects", "40 nested arrays"],
)
def test_a_deeply_nested_body_is_a_400_parse_error(hr, caplog, body):
    response = hr.generic("POST", "/api/v1/departments/", body, content_type="application/json")
    assert error_of(response, 400)["code"] == "parse_error"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_nested_values_in_a_field_are_a_400_naming_the_field(hr):
    response = hr.post(
        "/api/v1/departments/", {"code": "x", "name": [[["深"]]], "parent": "company"}
    )
    assert set(error_of(response, 400)["fields"]) == {"name"}
