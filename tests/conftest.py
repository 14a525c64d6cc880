"""Shared fixtures: the seed organisation, a generated large organisation, users by role."""

import gc
import re
import time
import warnings
from datetime import UTC
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from departments.models import Department
from orgportal.generated_org import build_large_org
from orgportal.orgfiles.orgfile import parse_org_file
from orgportal.orgfiles.services import organisation_import
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def figures(html):
    """Return the figures in ``html`` by what they count, as shown: {"branch-roles": "5", ...}.

    Unknown planned seats show as "—", or "N+" when only some roles have a headcount.
    """
    found = re.findall(r'data-figure="([\w-]+)"[^>]*>.*?<dd>(.*?)</dd>', html, re.S)
    return {
        name: re.sub(
            r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", value)
        ).strip()
        for name, value in found
    }


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL: run `make test-postgres`")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


# When each test started (time, node id), for the report of sessions left connected.
_STARTED = []


def pytest_runtest_setup(item):
    _STARTED.append((time.time(), item.nodeid))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases; on PostgreSQL, before they are dropped, every Django
    connection of this process closed, and a warning for any other session still connected.

    Django keeps its connections per thread and per context (asgiref's Local). After the
    browser tests, a test that asks for the database runs in another context than the session's
    end, so its connection is not the one closed before the database is dropped. It stayed
    connected, and the database could not be dropped. Every wrapper still open in this
    process is closed here instead. A session left after that (a connection opened outside
    Django, another process) is named in a warning: its client process and the test during
    which it connected. It is then ended, so that the database is dropped all the same.
    """
    yield
    if connection.vendor != "postgresql":
        return
    _close_every_django_connection()
    with django_db_blocker.unblock():
        left = _other_sessions()
        for session in left:
            warnings.warn(_describe(session), stacklevel=1)
        if left:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connection.close()


def _close_every_django_connection():
    for wrapper in gc.get_objects():
        # type(), not isinstance(): that would evaluate lazy objects (a request's CSP nonce).
        if not issubclass(type(wrapper), BaseDatabaseWrapper):
            continue
        # A test's stand-in for a connection (a wrapper that never connects) has no close().
        close = getattr(wrapper.connection, "close", None)
        if callable(close):
            # Not wrapper.close(): a wrapper of another thread refuses it.
            close()
            wrapper.connection = None


def _other_sessions():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, client_port, backend_start, state, query, application_name "
            "FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


def _describe(session):
    pid, port, started, state, query, application = session
    during = [nodeid for at, nodeid in _STARTED if at <= started.timestamp()]
    return (
        f"A session (server pid {pid}, {application or 'no application name'}) was still "
        f"connected to the test database at the end: connected at "
        f"{started.astimezone(UTC):%H:%M:%S.%f} from {_client_process(port)}, during "
        f"{during[-1] if during else 'the set-up'}; {state}, last query {query!r}."
    )


def _client_process(port):
    """Return the local process whose TCP socket has ``port``, as 'pid <n>: <command>'."""
    if port is None or port < 0:
        return "a Unix socket"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    sockets = {f"socket:[{inode}]" for inode in inodes}
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        if sockets & _links(fd_dir):
            pid = fd_dir.parent.name
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            return f"pid {pid}: {command.decode(errors='replace').strip()[:200]}"
    return f"port {port}, no local process found"


def _links(fd_dir):
    """Return what the open files in ``fd_dir`` (/proc/<pid>/fd) link to."""
    links = set()
    try:
        fds = list(fd_dir.iterdir())
    except OSError:
        return links
    for fd in fds:
        try:
            links.add(str(fd.readlink()))
        except OSError:  # closed meanwhile (the listing's own descriptor, say)
            continue
    return links


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash test users' passwords cheaply; the real hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language():
    """Start every test in the default language: a request activates its own and leaves it
    active in the thread, and translated fields read the active language."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with empty caches, so no test sees another's cached pages or answers
    (a test's rolled-back writes give the next test the same organisation version)."""
    for each in caches.all():
        each.clear()
    yield
    for each in caches.all():
        each.clear()


@pytest.fixture
def seed_org(db):
    """Import the seed organisation from data/ and return its root."""
    text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
    organisation_import(spec=parse_org_file(text))
    return Department.objects.root_nodes().get()


@pytest.fixture
def large_org(db):
    """A generated organisation of 500 departments and 2,500 roles; return its root."""
    return build_large_org().root


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
