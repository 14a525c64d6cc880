"""Shared fixtures: the seed organisation, a generated large organisation, users by role."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from departments.models import Department
from departments.services import tree_problems
from orgportal.orgfiles.orgfile import parse_org_file
from orgportal.orgfiles.services import organisation_import
from roles.models import Duty, Role
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL: run `make test-postgres`")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash test users' passwords cheaply; the real hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache, so no test sees another's cached pages."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seed_org(db):
    """Import the seed organisation from data/ and return its root."""
    text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
    organisation_import(spec=parse_org_file(text))
    return Department.objects.root_nodes().get()


def build_large_org(*, departments=500, roles_per_department=5, duties_per_role=2, fanout=8):
    """Create a valid nested set of ``departments`` nodes quickly, with roles and duties.

    The tree fields are computed here and written with bulk_create, because 500 locked inserts
    would dominate the suite's time; the fixture checks the result with tree_problems().
    """
    parents = {0: None}
    for index in range(1, departments):
        parents[index] = (index - 1) // fanout
    children = {}
    for index, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(index)
    bounds = {}
    counter = 0

    def walk(node, level):
        nonlocal counter
        counter += 1
        left = counter
        for child in children.get(node, []):
            walk(child, level + 1)
        counter += 1
        bounds[node] = (left, counter, level)

    walk(0, 0)
    objects = [
        Department(
            code="company" if index == 0 else f"gen-{index}",
            name="公司" if index == 0 else f"生成部门{index}",
            name_en="Company" if index == 0 else f"Generated {index}",
            tagline="生成",
            lft=bounds[index][0],
            rght=bounds[index][1],
            level=bounds[index][2],
            tree_id=1,
        )
        for index in range(departments)
    ]
    created = Department.objects.bulk_create(objects)
    by_index = dict(enumerate(created))
    for index, department in by_index.items():
        if parents[index] is not None:
            department.parent_id = by_index[parents[index]].pk
    Department.objects.bulk_update(created, ["parent"])
    roles = Role.objects.bulk_create(
        Role(
            code=f"gen-role-{department.pk}-{number}",
            department=department,
            title=f"生成岗位{number}",
            title_en=f"Generated role {number}",
            headcount=number + 1,
            sort_order=number,
        )
        for department in created
        for number in range(roles_per_department)
    )
    Duty.objects.bulk_create(
        Duty(role=role, text=f"生成职责{number}", sort_order=number)
        for role in roles
        for number in range(duties_per_role)
    )
    assert tree_problems() == []
    return by_index[0]


@pytest.fixture
def large_org(db):
    """A generated organisation of 500 departments and 2,500 roles; return its root."""
    return build_large_org()


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer")


@pytest.fixture
def hr_editor(db):
    return UserFactory(username="hr", groups=["HR editors"])


@pytest.fixture
def viewer_client(client, viewer):
    """A browser session of a logged-in user without any permission."""
    client.force_login(viewer)
    return client


def token_client(user):
    """Return an API client that authenticates as ``user`` with a token, as other systems do."""
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    """Return ``token_client``, to make API clients for users inside tests."""
    return token_client


@pytest.fixture
def hr(seed_org, hr_editor):
    """An API client of an HR editor, on the seed organisation."""
    return token_client(hr_editor)


@pytest.fixture
def admin(seed_org, superuser):
    """An API client of a superuser, on the seed organisation."""
    return token_client(superuser)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)
