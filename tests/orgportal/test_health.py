"""/healthz answers without the database; /readyz checks the database and the migrations."""

import pytest
from django.db import OperationalError
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.urls import reverse

from orgportal import health


def test_healthz_answers_ok_without_login_and_without_any_query(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(reverse("health:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_needs_no_database_access_at_all(client):
    # No db fixture: pytest-django refuses any database access in this test.
    response = client.get("/healthz")

    assert response.status_code == 200


def test_healthz_ignores_a_session_cookie_without_looking_it_up(
    client, db, django_assert_num_queries
):
    client.cookies["sessionid"] = "a-session-the-database-would-have-to-look-up"

    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_are_never_cached(client, db, path):
    response = client.get(path)

    assert "no-store" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_head_and_refuse_post(client, db, path):
    assert client.head(path).status_code == 200
    assert client.post(path).status_code == 405


def test_readyz_is_ok_when_the_database_answers_and_is_migrated(client, db):
    response = client.get(reverse("health:readyz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_naming_the_migrations_that_are_pending(client, db):
    latest = MigrationRecorder.Migration.objects.filter(app="roles").latest("id")
    latest.delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "migrations pending",
        "pending": [f"roles.{latest.name}"],
    }


class UnreachableDatabase:
    vendor = "postgresql"

    def cursor(self):
        raise OperationalError('connection to server at "10.1.2.3", port 5432 failed')


def test_readyz_is_503_without_revealing_the_database_when_it_does_not_answer(client, monkeypatch):
    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert b"10.1.2.3" not in response.content


def test_healthz_stays_ok_when_the_database_does_not_answer(client, monkeypatch):
    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    assert client.get("/healthz").status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_health_checks_are_exempt_from_the_https_redirect_that_pages_get(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@override_settings(SECURE_SSL_REDIRECT=True)
def test_health_checks_over_https_get_the_security_headers(client, db):
    response = client.get("/healthz", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
