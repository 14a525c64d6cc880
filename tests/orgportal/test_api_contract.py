"""The API keeps its OpenAPI contract: schemathesis against the live schema the app serves."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 25, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)

# The schema comes from the running app (no database needed to serve it); the calls below go
# to the same app inside each test's transaction.
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)


@pytest.fixture
def hr_token(seed_org, hr_editor):
    """Return an HR editor's token; keep the app from closing the test's connection."""
    # Like Django's test client: closing "old" connections would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Token.objects.create(user=hr_editor).key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
# One token and one organisation per operation: the examples of an operation share its state.
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_answers_every_operation_within_its_schema(case, hr_token):
    case.call_and_validate(headers={"Authorization": f"Token {hr_token}"}, checks=CHECKS)
