"""ensure_admin: `make run` always leaves a login, printed once, in development only."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command


def ensure_admin():
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_creates_admin_with_a_printed_password_once(db, settings):
    settings.DEBUG = True
    out = ensure_admin()
    password = out.split("password: ")[1].split()[0]
    user = authenticate(username="admin", password=password)
    assert user is not None and user.is_superuser
    second = ensure_admin()
    assert "password" not in second
    assert get_user_model().objects.count() == 1


def test_refuses_to_create_a_login_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="createsuperuser"):
        ensure_admin()
    assert not get_user_model().objects.exists()


def test_leaves_existing_users_alone(db, settings, viewer):
    settings.DEBUG = True
    assert "no user created" in ensure_admin()
    assert not get_user_model().objects.filter(username="admin").exists()
