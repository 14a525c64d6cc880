"""`manage.py create_api_token USERNAME` prints a token that other systems use for the API."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.factories import UserFactory


def create_api_token(*args):
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().strip()


def departments_status(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/departments/").status_code


def test_the_printed_token_authenticates_api_requests(seed_org, hr_editor):
    token = create_api_token("hr")
    assert len(token) == 40
    assert departments_status(token) == 200


def test_asking_again_prints_the_same_token(hr_editor):
    assert create_api_token("hr") == create_api_token("hr")


def test_reset_replaces_the_token_and_the_old_one_stops_working(seed_org, hr_editor):
    old = create_api_token("hr")
    new = create_api_token("hr", "--reset")
    assert new != old
    assert departments_status(old) == 401
    assert departments_status(new) == 200


def test_an_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="nobody"):
        create_api_token("nobody")


def test_an_inactive_user_gets_no_token(db):
    UserFactory(username="gone", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        create_api_token("gone")
