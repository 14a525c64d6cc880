"""The organisation version, and a cache of organisation data that every change invalidates.

The version is one number in the database (orgportal.models.OrganisationVersion), so every
process sees the same one: web workers, management commands and the admin agree on it with or
without a shared cache, and a change made anywhere invalidates cached entries everywhere.
Cached entries and the ETags of conditional responses (orgportal/conditional.py) are keyed by
it; one indexed read answers both.

Every write of the organisation moves the version on: model saves and deletes of departments,
roles and duties through signals (orgportal/signals.py), and writes that bypass them (bulk
inserts and updates, rebuilds, imports) by calling ``org_changed()``.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import get_language
from redis.exceptions import RedisError

T = TypeVar("T")
_MISSING = object()
logger = logging.getLogger(__name__)

TABLE = "orgportal_organisationversion"
# PostgreSQL only (created by orgportal's first migration): nextval() never waits for another
# transaction, so concurrent writers do not queue on one row, and its effect is seen at once.
SEQUENCE = "orgportal_organisation_version_seq"


def state_sql(connection) -> tuple[str, str, str]:
    """Return the SQL that reads the version and its time: two expressions and the joins that
    follow a FROM clause (``LEFT JOIN``, so a query over other tables may add them)."""
    if connection.vendor == "postgresql":
        return (
            "s.last_value",
            "v.changed_at",
            f"CROSS JOIN {SEQUENCE} s LEFT JOIN {TABLE} v ON v.id = 1",
        )
    return "v.version", "v.changed_at", f"LEFT JOIN {TABLE} v ON v.id = 1"


def state_value(version, changed_at) -> tuple[int, datetime | None] | None:
    """Return (version, changed_at) from the columns of state_sql(), or None when SQLite's
    row is missing (as after a test database's flush)."""
    if version is None:
        return None
    if isinstance(changed_at, str):  # SQLite through a raw cursor
        changed_at = datetime.fromisoformat(changed_at)
    if changed_at is not None and timezone.is_naive(changed_at):
        changed_at = changed_at.replace(tzinfo=UTC)
    return version, changed_at


def org_state(*, using: str = DEFAULT_DB_ALIAS) -> tuple[int, datetime | None]:
    """Return the organisation's version and the time of its last committed change."""
    connection = connections[using]
    version, changed_at, joins = state_sql(connection)
    if connection.vendor == "postgresql":
        sql = f"SELECT {version}, {changed_at} FROM {SEQUENCE} s LEFT JOIN {TABLE} v ON v.id = 1"
    else:
        sql = f"SELECT {version}, {changed_at} FROM {TABLE} v WHERE v.id = 1"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    state = state_value(*row) if row is not None else None
    if state is None:
        # SQLite's row was flushed away (as a test database's flush does): start again.
        return _start(connection), None
    return state


def org_version(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Return the current organisation version."""
    return org_state(using=using)[0]


def org_changed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Move the organisation version on, in every process: call it for every write.

    On SQLite the new version is part of the writing transaction, and SQLite lets one writer
    at a time, so readers see it exactly when the change commits. On PostgreSQL the sequence
    moves on at once and again after the commit: a reader between the change and the commit
    may cache the old data under the first new number, never under the second. The row's
    ``changed_at`` (Last-Modified) is written after the commit, outside the writer's
    transaction, so that writers never queue on it.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [SEQUENCE])
        _after_commit(connection, using)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET version = version + 1, changed_at = %s WHERE id = 1",
                [_now(connection)],
            )
            if cursor.rowcount == 0:
                _start(connection)


def org_cached(
    name: str,
    build: Callable[[], T],
    *,
    per_language: bool = True,
    version: int | None = None,
    alias: str = "default",
) -> T:
    """Return the cached value ``name`` for the current organisation, building it on a miss.

    ``version`` is the organisation version the caller read already (to spare a query).
    Values must be plain data or rendered text, never model instances. When the cache cannot
    be reached the value is built from the database, which is slower but never stale.
    ``alias`` names the Django cache (``responses`` for rendered API answers).
    """
    store = caches[alias]
    if version is None:
        version = org_version()
    key = _key(name, version, per_language)
    try:
        value = store.get(key, _MISSING)
    except RedisError:
        logger.warning("The cache does not answer; building %r without it.", name, exc_info=True)
        return build()
    if value is _MISSING:
        value = build()
        try:
            store.set(key, value, timeout=settings.ORGPORTAL_CACHE_TIMEOUT)
        except RedisError:
            logger.warning("The cache does not answer; %r was not stored.", name, exc_info=True)
    return value


def org_cache_peek(
    name: str,
    *,
    version: int,
    per_language: bool = True,
    language: str | None = None,
    alias: str = "default",
):
    """Return what org_cached() keeps as ``name`` for organisation ``version``, or None when
    nothing is kept (or the cache does not answer): for a caller that answers from the cache
    when it can and leaves building to the usual path otherwise. ``language`` is the one it
    was kept for, when not the active one."""
    try:
        return caches[alias].get(_key(name, version, per_language, language))
    except RedisError:
        return None


def _key(name: str, version: int, per_language: bool, language: str | None = None) -> str:
    parts = ["orgportal", name, str(version)]
    if per_language:
        parts.append(language or get_language() or "")
    return ":".join(parts)


def _now(connection):
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _start(connection) -> int:
    """Write SQLite's version row (after a flush) with a random number, and return it.

    A random start rather than 1: a version lost to a reset must never come back with a number
    under which a shared cache still holds old entries.
    """
    version = secrets.randbelow(2**62)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT OR IGNORE INTO {TABLE} (id, version, changed_at) VALUES (1, %s, %s)",
            [version, _now(connection)],
        )
    return version


def _after_commit(connection, using):
    """Register, once per transaction, the bump and the time that follow the commit."""
    pending = getattr(connection, "_orgportal_after_commit", None)
    hooks = connection.run_on_commit
    if pending is not None:
        index, hook = pending
        # Still registered (not run, not dropped by a rollback): nothing to add.
        if connection.in_atomic_block and index < len(hooks) and hooks[index][1] is hook:
            return

    def hook():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET version = nextval(%s), changed_at = %s WHERE id = 1",
                [SEQUENCE, _now(connection)],
            )
            if cursor.rowcount == 0:  # flushed away: write it again
                cursor.execute(
                    f"INSERT INTO {TABLE} (id, version, changed_at) "
                    "VALUES (1, nextval(%s), %s) ON CONFLICT (id) DO NOTHING",
                    [SEQUENCE, _now(connection)],
                )

    if connection.in_atomic_block:
        connection._orgportal_after_commit = (len(hooks), hook)
    transaction.on_commit(hook, using=using)
