"""The Content-Security-Policy header, login lockout (django-axes) and API throttling (DRF).

Lockouts and throttles are off in the test settings (pyproject.toml) so that no test depends
on how many requests ran before it; the tests here turn them on.
"""

import time

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, token_client
from tests.factories import UserFactory


def test_every_page_and_api_answer_carries_the_policy(client, viewer_client, seed_org):
    for response in (
        client.get(reverse("login")),
        viewer_client.get(reverse("chart:home")),
        viewer_client.get("/api/v1/departments/"),
    ):
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy


def test_only_redoc_may_use_generated_styles_and_a_worker(viewer_client, seed_org):
    policy = viewer_client.get(reverse("api:redoc"))["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy and "worker-src 'self' blob:" not in policy
    assert "blob:" in policy
    assert (
        "'unsafe-inline'" not in viewer_client.get(reverse("api:docs"))["Content-Security-Policy"]
    )


def test_the_policy_is_the_one_django_csp_builds_and_follows_the_settings(
    viewer_client, seed_org, settings
):
    from csp.utils import build_policy

    assert viewer_client.get("/api/v1/departments/")["Content-Security-Policy"] == build_policy()
    # Built once, but again when the settings change (report-only, as CSP_REPORT_ONLY makes it).
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = viewer_client.get("/api/v1/departments/")
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def log_in(client, password, language="en"):
    return client.post(
        reverse("login"),
        {"username": "staff", "password": password},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_wrong_passwords_lock_the_login_out(client, db, lockout):
    UserFactory(username="staff")
    for _ in range(2):
        assert log_in(client, "wrong").status_code == 200
    response = log_in(client, "wrong")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Locked: even the right password is refused until the lockout ends.
    assert log_in(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_is_translated(client, db, lockout):
    UserFactory(username="staff")
    for _ in range(3):
        response = log_in(client, "wrong", language="zh-hans")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_a_good_login_resets_the_count(client, db, lockout):
    UserFactory(username="staff")
    for _ in range(2):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        assert log_in(client, "wrong").status_code == 200


def test_the_admin_login_is_locked_out_too(client, db, lockout):
    UserFactory(username="staff", is_staff=True)
    url = reverse("admin:login")
    for _ in range(3):
        response = client.post(url, {"username": "staff", "password": "wrong"})
    assert response.status_code == 429


@pytest.fixture
def throttled(settings):
    settings.ORGPORTAL_API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}


def test_token_calls_beyond_the_rate_are_a_429_in_the_error_format(seed_org, viewer, throttled):
    client = token_client(viewer)
    for _ in range(3):
        assert client.get("/api/v1/departments/").status_code == 200
    response = client.get("/api/v1/departments/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Another user has a count of their own.
    assert token_client(UserFactory(username="other")).get("/api/v1/roles/").status_code == 200


def test_anonymous_readers_are_throttled_per_address(seed_org, throttled, settings):
    settings.ORGPORTAL_PUBLIC_READ = True
    client = APIClient()
    assert [client.get("/api/v1/roles/").status_code for _ in range(3)] == [200, 200, 429]


def test_throttling_lets_requests_through_while_the_cache_does_not_answer(
    seed_org, viewer, throttled, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    client = token_client(viewer)
    assert [client.get("/api/v1/departments/").status_code for _ in range(4)] == [200] * 4


def test_the_throttle_keeps_one_count_per_window_not_every_requests_time(
    seed_org, viewer, throttled
):
    from django.core.cache import cache

    window = int(time.time() // 60)
    client = token_client(viewer)
    for _ in range(2):
        assert client.get("/api/v1/departments/").status_code == 200
    if int(time.time() // 60) != window:
        pytest.skip("the requests straddled two windows")
    assert cache.get(f"throttle_user_{viewer.pk}:{window}") == 2
    assert cache.get(f"throttle_user_{viewer.pk}") is None
