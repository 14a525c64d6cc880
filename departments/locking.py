"""The tree lock: one writer at a time changes the Department nested set."""

import threading
import zlib
from contextlib import contextmanager

from django.db import connections, transaction

# A fixed 64-bit key for pg_advisory_xact_lock, derived from a name so it is easy to find.
TREE_LOCK_KEY = zlib.crc32(b"orgportal.departments.tree")

_writes = threading.local()


def lock_tree(using: str = "default") -> None:
    """Take the tree lock until the current transaction ends.

    On PostgreSQL this is a transaction-scoped advisory lock. SQLite runs every transaction
    with ``transaction_mode: IMMEDIATE`` (see settings), so the write lock is already held.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("lock_tree() must be called inside transaction.atomic().")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])


@contextmanager
def tree_write(using: str = "default"):
    """Run a block of tree writes atomically under the tree lock."""
    with transaction.atomic(using=using):
        lock_tree(using)
        depth = getattr(_writes, "depth", 0)
        _writes.depth = depth + 1
        try:
            yield
        finally:
            _writes.depth = depth


def in_tree_write() -> bool:
    """Return whether this thread is inside tree_write(), and so holds the lock."""
    return getattr(_writes, "depth", 0) > 0
