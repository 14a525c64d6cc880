"""Fixtures shared by the tests of orgportal's own modules."""

from unittest import mock

import pytest

from departments.api.views import DepartmentViewSet


@pytest.fixture
def view_runs():
    """Count the requests that reach the department viewset."""
    with mock.patch.object(
        DepartmentViewSet, "initial", side_effect=DepartmentViewSet.initial, autospec=True
    ) as initial:
        yield initial
