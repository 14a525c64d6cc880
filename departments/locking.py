"""Write locks: the tree lock (one writer at a time changes the Department nested set), and
row locks that keep an update or a delete from racing a concurrent delete."""

import threading
import zlib
from contextlib import contextmanager, nullcontext

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils.translation import gettext

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


# PostgreSQL row-lock strengths. An update holds its row against deletes and other updates,
# a delete against everything, and a reference (a row about to point at it) only against a
# delete, so that moves, which rewrite many rows' tree fields, never wait for one.
ROW_LOCKS = {"update": "FOR NO KEY UPDATE", "delete": "FOR UPDATE", "reference": "FOR KEY SHARE"}


def lock_row(model, pk, *, mode: str, using: str = "default") -> bool:
    """Lock the row ``pk`` of ``model`` until the transaction ends; return whether it exists.

    SQLite runs every transaction with the database's write lock (see lock_tree), so there
    this only reads.
    """
    return bool(lock_rows(model, [pk], mode=mode, using=using))


def lock_rows(model, pks, *, mode: str, using: str = "default") -> set:
    """lock_row() for many rows in one query: return the primary keys of those that exist."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("lock_row() must be called inside transaction.atomic().")
    pks = list(pks)
    if not pks:
        return set()
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    sql = f"SELECT {column} FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(pks))})"
    if connection.vendor == "postgresql":
        sql += " " + ROW_LOCKS[mode]
    with connection.cursor() as cursor:
        cursor.execute(sql, pks)
        return {row[0] for row in cursor.fetchall()}


def _in_transaction(using):
    """Return a transaction for a write, or nothing when the caller's transaction holds it.

    No savepoint of its own: a refusal below raises before anything was written, so the
    caller's transaction stays usable and the caller decides what to do.
    """
    if connections[using].in_atomic_block:
        return nullcontext()
    return transaction.atomic(using=using)


def gone(instance):
    """Return the DoesNotExist error for ``instance``, deleted while it was being changed."""
    return type(instance).DoesNotExist(
        gettext("This %(model)s no longer exists: it was deleted meanwhile.")
        % {"model": instance._meta.verbose_name}
    )


class RowLockMixin:
    """Save or delete a model's row only while it exists, holding it locked until the commit.

    Without this, Django saves an instance whose row was deleted meanwhile by inserting it
    again (a lost delete). A save or delete of a row that no longer exists raises the model's
    DoesNotExist instead (the API answers 404). ``locked_references`` names the foreign keys
    whose rows must still exist, locked so that they cannot be deleted before the commit.
    """

    locked_references = ()

    def save(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with _in_transaction(using):
            # Referenced rows first, then this one: the order every writer keeps.
            self.lock_references(using)
            updating = not (self._state.adding or self.pk is None or kwargs.get("force_insert"))
            if updating and not lock_row(type(self), self.pk, mode="update", using=using):
                raise gone(self)
            super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with _in_transaction(using):
            if not lock_row(type(self), self.pk, mode="delete", using=using):
                raise gone(self)
            return super().delete(*args, **kwargs)

    delete.alters_data = True

    def lock_references(self, using):
        for name in self.locked_references:
            field = self._meta.get_field(name)
            value = getattr(self, field.attname)
            if value is not None and not lock_row(
                field.related_model, value, mode="reference", using=using
            ):
                raise ValidationError(
                    {
                        name: gettext("The chosen %(model)s no longer exists.")
                        % {"model": field.related_model._meta.verbose_name}
                    }
                )
