"""Fixtures shared by the tests of orgportal's own modules."""

from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings

from departments.api.views import DepartmentViewSet
from orgportal.api.shortcut import SHORTCUT, ShortcutWSGIHandler


@pytest.fixture
def view_runs():
    """Count the requests that reach the department viewset."""
    with mock.patch.object(
        DepartmentViewSet, "initial", side_effect=DepartmentViewSet.initial, autospec=True
    ) as initial:
        yield initial


@pytest.fixture
def handlers(settings):
    """Return (the portal's handler, Django's handler without the shortcut: the view's way),
    each built with the settings in force."""

    def build():
        shortcut = ShortcutWSGIHandler()
        with override_settings(
            MIDDLEWARE=[name for name in settings.MIDDLEWARE if name != SHORTCUT]
        ):
            view = WSGIHandler()
        return shortcut, view

    return build
