"""The organisation version and cache: every change of a department, role or duty moves the
version on in the database, which every process reads, so cached entries are invalidated in
every process with or without Redis, and a lost Redis never serves stale data."""

import os
import socket
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import translation

from departments.models import Department
from departments.services import department_move
from orgportal.cache import org_cached, org_changed, org_version
from orgportal.models import OrganisationVersion
from roles.models import Duty, Role
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("ORGPORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Builder:
    """Build a new value on every call: 1, 2, 3..."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.calls


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def redis_cache_settings(url, prefix):
    """Return CACHES as orgportal/settings.py makes them from REDIS_URL and CACHE_KEY_PREFIX."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_a_value_is_built_once_then_served_from_the_cache():
    build = Builder()

    assert org_cached("probe", build) == 1
    assert org_cached("probe", build) == 1
    assert build.calls == 1


def test_none_is_cached_like_any_other_value():
    calls = []

    def build():
        calls.append(1)

    org_cached("probe", build)
    org_cached("probe", build)

    assert len(calls) == 1


def test_each_language_has_its_own_entry_unless_told_otherwise():
    build = Builder()

    with translation.override("en"):
        assert org_cached("probe", build) == 1
        assert org_cached("shared", build, per_language=False) == 2
    with translation.override("zh-hans"):
        assert org_cached("probe", build) == 3
        assert org_cached("shared", build, per_language=False) == 2


def test_org_changed_invalidates_every_entry(db):
    build = Builder()
    org_cached("probe", build)

    org_changed()

    assert org_cached("probe", build) == 2


def test_a_flushed_version_row_is_written_again(db, django_capture_on_commit_callbacks):
    before = org_version()
    OrganisationVersion.objects.all().delete()  # as a test database's flush does

    # On PostgreSQL the row is written after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        org_changed()

    assert org_version() != before
    assert OrganisationVersion.objects.get().changed_at is not None


def save_department(root):
    department = root.get_children().get(code="digital-operations")
    department.tagline = "changed"
    department.save()


def add_department(root):
    DepartmentFactory(parent=root)


def archive_role(root):
    role = Role.objects.get(code="seo-sem-specialist")
    role.is_active = False
    role.save()


def add_role(root):
    RoleFactory(department=root)


def edit_duty(root):
    duty = Duty.objects.filter(role__code="seo-sem-specialist").first()
    duty.text = "changed"
    duty.save()


def add_duty(root):
    DutyFactory(role=Role.objects.get(code="seo-sem-specialist"))


def delete_duty(root):
    Duty.objects.filter(role__code="seo-sem-specialist").first().delete()


def delete_role_and_its_duties(root):
    Role.objects.get(code="seo-sem-specialist").delete()


def move_department(root):
    children = list(root.get_children())
    department_move(department=children[-1], target=children[0], position="first-child")


def delete_empty_department(root):
    DepartmentFactory(parent=root, code="empty")
    cache.clear()  # only the deletion below may invalidate
    Department.objects.get(code="empty").delete()


def rebuild_a_broken_tree(root):
    table = connection.ops.quote_name(Department._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET level = 9 WHERE code = %s", ["finance"])
    call_command("check_tree", "--fix", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize(
    "change",
    [
        rebuild_a_broken_tree,
        save_department,
        add_department,
        archive_role,
        add_role,
        edit_duty,
        add_duty,
        delete_duty,
        delete_role_and_its_duties,
        move_department,
        delete_empty_department,
    ],
)
def test_every_change_of_a_department_role_or_duty_invalidates_the_cache(seed_org, change):
    build = Builder()
    org_cached("probe", build)
    version = org_version()

    change(seed_org)

    assert org_version() != version
    assert org_cached("probe", build) == 2


def test_entries_live_for_the_configured_timeout(settings, monkeypatch):
    settings.ORGPORTAL_CACHE_TIMEOUT = 60
    build = Builder()
    now = 1_000_000.0
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: now)
    org_cached("probe", build)

    now += 59
    assert org_cached("probe", build) == 1
    now += 2
    assert org_cached("probe", build) == 2


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable_redis():
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CACHES=redis_cache_settings(url, "")):
        yield


def test_reads_build_from_the_database_while_redis_does_not_answer(unreachable_redis, caplog):
    build = Builder()

    assert org_cached("probe", build) == 1
    assert org_cached("probe", build) == 2
    assert "The cache does not answer" in caplog.text


def test_a_change_succeeds_while_redis_does_not_answer(seed_org, unreachable_redis, caplog):
    DepartmentFactory(parent=seed_org, code="while-redis-is-down")

    assert Department.objects.filter(code="while-redis-is-down").exists()


# -- Several processes sharing the local Redis --------------------------------------------------


@pytest.fixture
def shared_redis():
    """Point this process's cache at the local Redis under a fresh prefix; return the prefix."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(
            f"Redis does not answer at {REDIS_URL} ({error}): start redis-server, or set "
            "ORGPORTAL_TEST_REDIS_URL, to test invalidation across processes"
        )
    prefix = f"test-{uuid.uuid4().hex}"
    with override_settings(CACHES=redis_cache_settings(REDIS_URL, prefix)):
        yield prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


CHILD = """
import os, subprocess, sys
import django

os.environ["DJANGO_SETTINGS_MODULE"] = "orgportal.settings"
django.setup()
from orgportal.cache import org_cached

if sys.argv[1] == "change":
    from departments.models import Department

    Department.objects.create(code="added-elsewhere", name="added elsewhere")
else:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(org_cached("probe", lambda: "before"))
    print(org_cached("probe", lambda: "not built"))
    subprocess.run([sys.executable, "-c", sys.argv[2], "change", ""], check=True)
    print(org_cached("probe", lambda: "after"))
"""


def test_a_change_in_another_process_invalidates_what_this_process_cached_without_redis(
    tmp_path,
):
    """Two processes with caches of their own share the database, and with it the version."""
    env = {
        **os.environ,
        "ENV_FILE": "",
        "REDIS_URL": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "read", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["before", "before", "after"]


def test_entries_in_redis_expire_after_the_configured_timeout(shared_redis, settings):
    settings.ORGPORTAL_CACHE_TIMEOUT = 120
    org_cached("probe", lambda: "value")

    client = redis.Redis.from_url(REDIS_URL)
    [entry] = list(client.scan_iter(match=f"{shared_redis}:*probe*"))
    assert 0 < client.ttl(entry) <= 120


def test_entries_cached_before_an_outage_are_invalidated_once_redis_answers_again(shared_redis, db):
    assert org_cached("probe", lambda: "before") == "before"
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CACHES=redis_cache_settings(url, shared_redis)):
        DepartmentFactory(code="changed-during-the-outage")

    assert org_cached("probe", lambda: "after") == "after"
