"""The tree lock: one writer at a time changes the Department nested set."""

import zlib

from django.db import connections

# A fixed 64-bit key for pg_advisory_xact_lock, derived from a name so it is easy to find.
TREE_LOCK_KEY = zlib.crc32(b"orgportal.departments.tree")


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
