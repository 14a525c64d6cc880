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
    yield connection
    # Nothing to close: the session's end must not take the placeholder for a connection.
    connection.connection = None


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


@pytest.fixture
def pg_connection(db):
    """The test database's connection, on PostgreSQL only (DATABASE_URL=postgres://…)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    if not isinstance(connections[DEFAULT_DB_ALIAS], base.DatabaseWrapper):
        pytest.skip("PostgreSQL only")
    return connections[DEFAULT_DB_ALIAS]


SQL = "SELECT %s::int + 1, u.username FROM auth_user u WHERE u.username = %s"


def test_a_prepared_statement_gives_the_same_rows_and_counts_once(
    pg_connection, django_assert_num_queries
):
    from tests.factories import UserFactory

    UserFactory(username="prepared")
    with pg_connection.cursor() as cursor:
        cursor.execute(SQL, [1, "prepared"])
        plain = cursor.fetchall()
    base.prepare_statement(SQL)
    try:
        with django_assert_num_queries(1), pg_connection.cursor() as cursor:
            cursor.execute(SQL, [1, "prepared"])
            prepared = cursor.fetchall()
        with pg_connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements")
            names = [row[0] for row in cursor.fetchall()]
    finally:
        base.PREPARED.pop(SQL)

    assert prepared == plain == [(2, "prepared")]
    assert any(name.startswith("orgportal_") for name in names)


def test_a_prepared_statement_is_prepared_again_after_discard_all(pg_connection):
    base.prepare_statement(SQL)
    try:
        with pg_connection.cursor() as cursor:
            cursor.execute(SQL, [1, "nobody"])
            cursor.execute("DEALLOCATE ALL")
            cursor.execute(SQL, [2, "nobody"])
            assert cursor.fetchall() == []
    finally:
        base.PREPARED.pop(SQL)


def test_only_single_statements_with_plain_parameters_are_prepared():
    for sql in ("SELECT 1; SELECT 2", "SELECT '%' || %s"):
        with pytest.raises(ValueError):
            base.prepare_statement(sql)


def test_prepared_statements_can_be_turned_off(settings):
    options = {**settings.DATABASES["default"].get("OPTIONS", {}), "prepared_statements": "off"}
    wrapper = base.DatabaseWrapper(
        {
            **settings.DATABASES["default"],
            "ENGINE": "orgportal.postgresql",
            "NAME": "x",
            "OPTIONS": options,
        },
        alias="prepared-off-test",
    )

    params = wrapper.get_connection_params()

    assert "prepared_statements" not in params
    assert params["cursor_factory"] is not base.Cursor


def test_prepared_registers_a_statement_only_for_a_database_on_this_backend(db):
    from django.db import DEFAULT_DB_ALIAS, connections

    sql = "SELECT %s::int + 1"
    try:
        assert base.prepared(sql, DEFAULT_DB_ALIAS) == sql
        on_this_backend = isinstance(connections[DEFAULT_DB_ALIAS], base.DatabaseWrapper)
        assert (sql in base.PREPARED) == on_this_backend
    finally:
        base.PREPARED.pop(sql, None)
