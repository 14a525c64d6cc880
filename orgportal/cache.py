"""A cache of organisation data that every change of a department, role or duty invalidates.

Entries are keyed by an organisation version kept in Django's cache. With REDIS_URL set that
cache is shared, so a change made by one web process invalidates the entries of all of them.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

VERSION_KEY = "orgportal:org-version"
T = TypeVar("T")


def org_version() -> int:
    """Return the current organisation version, starting one if the cache has none."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def org_changed() -> None:
    """Invalidate every cached organisation entry, now and again when the transaction commits.

    The second bump matters: a reader between the change and the commit may cache the old
    data under the new version.
    """
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, 1, timeout=None)


def org_cached(name: str, build: Callable[[], T], *, per_language: bool = True) -> T:
    """Return the cached value ``name`` for the current organisation, building it on a miss."""
    parts = ["orgportal", name, str(org_version())]
    if per_language:
        parts.append(get_language() or "")
    key = ":".join(parts)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=None)
    return value
