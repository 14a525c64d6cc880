"""The PostgreSQL backend (orgportal.postgresql): Django's health check of a persistent
connection, skipped while the connection answered its thread's previous request a moment ago."""

from unittest import mock

import pytest

from orgportal.postgresql import base

pytest.importorskip("psycopg")


@pytest.fixture
def wrapper(settings):
    """A connection wrapper that never connects: its health check is a mock."""
    connection = base.DatabaseWrapper(
        {**settings.DATABASES["default"], "CONN_HEALTH_CHECKS": True, "AUTOCOMMIT": True},
        alias="health-check-test",
    )
    connection.connection = object()
    connection.health_check_enabled = True
    connection.get_autocommit = lambda: True
    connection.is_usable = mock.Mock(return_value=True)
    return connection


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(base.time, "monotonic", lambda: now[0])
    return now


def request(connection, *, error=False):
    """Go through one request as Django's signals do: the start, a query, the end."""
    connection.close_if_unusable_or_obsolete()
    connection.close_if_health_check_failed()  # before the request's first query
    connection.errors_occurred = error
    connection.close_if_unusable_or_obsolete()


def test_a_connection_is_checked_before_its_first_request(wrapper, clock):
    request(wrapper)

    assert wrapper.is_usable.call_count == 1


def test_a_connection_that_just_answered_is_not_checked_again(wrapper, clock):
    request(wrapper)
    clock[0] += base.HEALTHY_FOR / 2
    request(wrapper)

    assert wrapper.is_usable.call_count == 1


def test_a_connection_idle_for_longer_is_checked(wrapper, clock):
    request(wrapper)
    clock[0] += base.HEALTHY_FOR * 2
    request(wrapper)

    assert wrapper.is_usable.call_count == 2


def test_a_connection_that_failed_is_closed_and_proves_nothing(wrapper, clock):
    request(wrapper)
    wrapper.is_usable.return_value = False
    wrapper.close = lambda: setattr(wrapper, "connection", None)

    request(wrapper, error=True)  # Django checks it after the error, and closes it

    assert wrapper.connection is None
    assert wrapper.answered_at is None


def test_a_request_without_queries_proves_nothing(wrapper, clock):
    request(wrapper)
    clock[0] += base.HEALTHY_FOR * 0.9
    # A request that never used the connection: no check, and no new proof of health.
    wrapper.close_if_unusable_or_obsolete()
    wrapper.close_if_unusable_or_obsolete()
    clock[0] += base.HEALTHY_FOR * 0.9
    request(wrapper)

    assert wrapper.is_usable.call_count == 2
