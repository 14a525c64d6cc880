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
"""

import time

from django.db.backends.postgresql import base

HEALTHY_FOR = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    answered_at = None

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
