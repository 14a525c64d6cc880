"""Health checks for load balancers and orchestrators: no login, never cached, cheap.

/healthz says the process answers and touches no database; /readyz says this process can serve:
the database answers and no migration is pending. With REDIS_URL set it also reports the cache;
a cache that does not answer leaves it ready but "degraded": the portal then serves and
writes without it (see orgportal/cache.py), slower.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@transaction.non_atomic_requests
@never_cache
@require_safe
def healthz(request):
    """Answer that the process is alive, without touching the database."""
    return JsonResponse({"status": "ok"})


@transaction.non_atomic_requests
@never_cache
@require_safe
def readyz(request):
    """Answer 200 when the database answers and is fully migrated, else 503 with the reason."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        pending = pending_migrations()
    except DatabaseError:
        # The details (host, port, user) stay in the log: this endpoint is public.
        logger.warning("Readiness check failed: the database does not answer.", exc_info=True)
        return _unavailable("database unreachable")
    if pending:
        return _unavailable("migrations pending", pending=pending)
    if not settings.REDIS_URL:
        return JsonResponse({"status": "ok"})
    if cache_answers():
        return JsonResponse({"status": "ok", "cache": "ok"})
    return JsonResponse({"status": "degraded", "cache": "unreachable"})


def cache_answers():
    """Return whether the shared cache (Redis) answers."""
    try:
        cache.get("orgportal:readyz")
    except RedisError:
        logger.warning("Readiness check: the cache does not answer.", exc_info=True)
        return False
    return True


def pending_migrations():
    """Return the names of the migrations that the database has not applied yet."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _unavailable(reason, **details):
    return JsonResponse({"status": "unavailable", "reason": reason, **details}, status=503)
