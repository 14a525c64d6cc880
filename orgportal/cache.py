"""A cache of organisation data that every change of a department, role or duty invalidates.

Entries are keyed by an organisation version kept in Django's cache. With REDIS_URL set that
cache is shared, so a change made by one process (a web worker, a management command)
invalidates the entries of all of them. Without it each process has its own cache, and another
process sees a change once its entries expire (ORGPORTAL_CACHE_TIMEOUT).
"""

import logging
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.translation import get_language
from redis.exceptions import RedisError

VERSION_KEY = "orgportal:org-version"
T = TypeVar("T")
_MISSING = object()
logger = logging.getLogger(__name__)


# Set when a change could not invalidate the cache because it did not answer: the next access
# that reaches it invalidates first, so entries cached before the outage are not served again.
_bump_pending = False


def org_version() -> int:
    """Return the current organisation version, starting one if the cache has none."""
    global _bump_pending
    if _bump_pending:
        _bump()
        _bump_pending = False
    version = cache.get(VERSION_KEY)
    if version is None:
        version = _new_version()
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return version


def org_changed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Invalidate every cached organisation entry, now and again when the transaction commits.

    The second bump matters: a reader between the change and the commit may cache the old
    data under the new version. A cache that does not answer fails no change: nobody can read
    stale entries from it meanwhile, and the first access that reaches it again invalidates
    them (see org_version).
    """
    try:
        _bump()
    except RedisError:
        _remember_failed_bump()
    transaction.on_commit(_bump_after_commit, using=using)


def org_cached(name: str, build: Callable[[], T], *, per_language: bool = True) -> T:
    """Return the cached value ``name`` for the current organisation, building it on a miss.

    When the cache cannot be reached the value is built from the database, which is slower
    but never stale.
    """
    try:
        parts = ["orgportal", name, str(org_version())]
        if per_language:
            parts.append(get_language() or "")
        key = ":".join(parts)
        value = cache.get(key, _MISSING)
    except RedisError:
        logger.warning("The cache does not answer; building %r without it.", name, exc_info=True)
        return build()
    if value is _MISSING:
        value = build()
        try:
            cache.set(key, value, timeout=settings.ORGPORTAL_CACHE_TIMEOUT)
        except RedisError:
            logger.warning("The cache does not answer; %r was not stored.", name, exc_info=True)
    return value


def _new_version() -> int:
    # A random start rather than 1: a version key lost to eviction or a partial flush must never
    # come back with a number under which old entries are still stored. 2**62 leaves room to
    # count up within a 64-bit Redis integer.
    return secrets.randbelow(2**62)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, _new_version(), timeout=None)


def _bump_after_commit() -> None:
    try:
        _bump()
    except RedisError:
        _remember_failed_bump()


def _remember_failed_bump() -> None:
    global _bump_pending
    _bump_pending = True
    logger.warning(
        "The cache does not answer; the change is saved and cached organisation entries are "
        "invalidated once it answers again (they expire within %s seconds in any case).",
        settings.ORGPORTAL_CACHE_TIMEOUT,
        exc_info=True,
    )
