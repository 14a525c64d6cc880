"""The suite's own teardown (tests/conftest.py): before the PostgreSQL test database is dropped,
every Django connection of the process is closed, and nothing else is touched."""

from unittest import mock

from django.db import connections

from tests import conftest


def test_every_open_django_connection_is_closed_and_stand_ins_are_left_alone(monkeypatch):
    opened = connections.create_connection("default")
    opened.connection = mock.Mock()
    driver = opened.connection
    stand_in = connections.create_connection("default")
    stand_in.connection = placeholder = object()  # as tests/orgportal/test_postgresql_backend.py
    never_connected = connections.create_connection("default")
    lazy = mock.Mock(side_effect=AssertionError("evaluated"))
    monkeypatch.setattr(
        conftest.gc, "get_objects", lambda: [opened, stand_in, never_connected, lazy, "text"]
    )

    conftest._close_every_django_connection()

    driver.close.assert_called_once_with()
    assert opened.connection is None
    assert stand_in.connection is placeholder
    assert never_connected.connection is None
    lazy.assert_not_called()
