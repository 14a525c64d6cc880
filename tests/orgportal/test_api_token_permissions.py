"""The token's one query (orgportal.api.authentication) also reads the user's permissions: the
same names ModelBackend would read with two queries of its own, fresh on every request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIRequestFactory

from orgportal.api.authentication import OrgTokenAuthentication
from tests.factories import UserFactory


def authenticated_user(user):
    return authenticate(Token.objects.get_or_create(user=user)[0].key)


def authenticate(key):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    found, _token = OrgTokenAuthentication().authenticate(request)
    return found


@pytest.fixture
def user_with_permissions(db):
    group = Group.objects.create(name="Readers of roles")
    group.permissions.add(Permission.objects.get(codename="view_role"))
    user = UserFactory(username="mixed")
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="change_department"))
    return user


def test_the_token_brings_the_permissions_modelbackend_reads(
    user_with_permissions, django_assert_num_queries
):
    expected = ModelBackend().get_all_permissions(type(user_with_permissions).objects.get())
    key = Token.objects.create(user=user_with_permissions).key

    with django_assert_num_queries(1):
        user = authenticate(key)
        assert (
            user.get_all_permissions()
            == expected
            == {
                "departments.change_department",
                "roles.view_role",
            }
        )
        assert user.has_perm("departments.change_department")
        assert not user.has_perm("roles.change_role")


def test_a_user_without_permissions_has_none(viewer, django_assert_num_queries):
    key = Token.objects.create(user=viewer).key

    with django_assert_num_queries(1):
        user = authenticate(key)
        assert user.get_all_permissions() == set()


def test_a_permission_taken_away_is_gone_at_the_next_request(user_with_permissions):
    assert authenticated_user(user_with_permissions).has_perm("roles.view_role")
    user_with_permissions.groups.clear()

    assert not authenticated_user(user_with_permissions).has_perm("roles.view_role")


def test_a_superuser_keeps_every_permission(superuser):
    user = authenticated_user(superuser)

    assert user.has_perm("roles.delete_role")
    assert user.get_all_permissions() == ModelBackend().get_all_permissions(superuser)
