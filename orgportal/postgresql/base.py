"""Django's PostgreSQL backend, without a health check for a connection that just answered.

With CONN_HEALTH_CHECKS Django sends ``SELECT 1`` before the first query of every request on a
persistent connection: one more round trip on every request, a third of the time of an API
read answered from the cache. Its purpose is to replace a connection that died while it was
idle (a database restart, a proxy or firewall closing idle connections) before a request
fails on it. A connection that answered the previous request of its thread without an error
less than HEALTHY_FOR seconds ago is taken as healthy; one idle for longer is checked as
before. Only a database that restarts and is back within that second can still fail one
request per connection, as it would without health checks; Django then closes the
connection, and the next request opens a new one.

Statements run on (nearly) every request can also be prepared: given to prepare_statement(),
such a statement is prepared once per connection (``PREPARE``, sent outside Django's query
log as the connection's own set-up is) and then run as ``EXECUTE name(parameters)``, with the
same rows, errors and query count as before. PostgreSQL then plans it once per connection
instead of on every request: the token query (orgportal.api.authentication), which reads the
token, its user, the user's permissions and the organisation version, took 0.5 ms to plan
and 0.07 ms to run at 10,000 departments, about as much server time as the whole API answer
costs in Python. Behind a connection pooler in transaction mode, which would lose a
connection's prepared statements between transactions, turn them off with
``?prepared_statements=off`` in DATABASE_URL (OPTIONS ``prepared_statements``); they are
also off with Django's own connection pool (OPTIONS ``pool``).
"""

import hashlib
import re
import time

from django.db.backends.postgresql import base

HEALTHY_FOR = 1.0

# SQL given to prepare_statement() -> (the PREPARE statement, the EXECUTE statement)
PREPARED = {}
# Statements after which a connection has no prepared statement any more.
_FORGETS = re.compile(r"\s*(DISCARD\s+ALL|DEALLOCATE\s+(PREPARE\s+)?ALL)\b", re.IGNORECASE)
_PREPARED_ATTRIBUTE = "_orgportal_prepared"


def prepare_statement(sql):
    """Run ``sql`` (with ``%s`` parameters, no other ``%``, types PostgreSQL can infer) as a
    prepared statement on every connection of this backend from now on."""
    if sql in PREPARED:
        return
    if sql.count("%") != sql.count("%s") or ";" in sql:
        raise ValueError("Only a single statement with %s parameters can be prepared.")
    name = "orgportal_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    parts = sql.split("%s")
    count = len(parts) - 1
    numbered = "".join(
        part + (f"${index}" if index <= count else "") for index, part in enumerate(parts, start=1)
    )
    arguments = f"({', '.join(['%s'] * count)})" if count else ""
    PREPARED[sql] = (f"PREPARE {name} AS {numbered}", f"EXECUTE {name}{arguments}")


def prepared(sql, alias):
    """Return ``sql``, given to prepare_statement() when the database ``alias`` runs on this
    backend (so that PostgreSQL plans it once per connection); unchanged elsewhere."""
    from django.db import connections

    if isinstance(connections[alias], DatabaseWrapper):
        prepare_statement(sql)
    return sql


class Cursor(base.Cursor):
    """Django's cursor (client-side parameters), running prepared statements for the SQL
    given to prepare_statement()."""

    def execute(self, query, params=None, **kwargs):
        statement = PREPARED.get(query) if isinstance(query, str) and not kwargs else None
        if statement is None:
            if isinstance(query, str) and _FORGETS.match(query):
                setattr(self.connection, _PREPARED_ATTRIBUTE, set())
            return super().execute(query, params, **kwargs)
        prepare, execute = statement
        prepared = getattr(self.connection, _PREPARED_ATTRIBUTE, None)
        if prepared is None:
            prepared = set()
            setattr(self.connection, _PREPARED_ATTRIBUTE, prepared)
        if prepare not in prepared:
            # Kept even if a transaction around it rolls back: it lasts as long as the
            # connection (or until DISCARD ALL / DEALLOCATE ALL).
            super().execute(prepare)
            prepared.add(prepare)
        return super().execute(execute, params)


class DatabaseWrapper(base.DatabaseWrapper):
    answered_at = None

    def get_connection_params(self):
        params = super().get_connection_params()
        # Not psycopg's: its connection would refuse it.
        prepared = params.pop("prepared_statements", True)
        if isinstance(prepared, str):
            prepared = prepared.strip().lower() not in ("0", "false", "no", "off")
        if (
            prepared
            and not self.settings_dict["OPTIONS"].get("pool")
            and params.get("cursor_factory") is base.Cursor
        ):
            params["cursor_factory"] = Cursor
        return params

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.answered_at is not None
            and time.monotonic() - self.answered_at < HEALTHY_FOR
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # At the end of a request (and the start of the next): the connection answered this
        # request if it was used (its health settled) and no error came back.
        answered = (
            self.connection is not None and self.health_check_done and not self.errors_occurred
        )
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            self.answered_at = None
        elif answered:
            self.answered_at = time.monotonic()
