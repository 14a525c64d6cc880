"""What every model viewset of the API shares: reads outside a transaction, writes inside one."""

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.middleware.http import ConditionalGetMiddleware
from rest_framework.permissions import SAFE_METHODS


class ReadsOutsideTransactionMixin:
    """Run GET, HEAD and OPTIONS without ATOMIC_REQUESTS' transaction; writes keep theirs.

    A read needs no transaction on PostgreSQL: at READ COMMITTED every statement sees what
    was committed when it started, inside a transaction or not, so the transaction only adds
    two round trips (BEGIN and COMMIT) to every read. Writes run in one transaction, as
    ATOMIC_REQUESTS would run them, and an error answered by the API's exception handler
    still rolls them back (DRF's set_rollback() sees the atomic block).
    """

    @classmethod
    def as_view(cls, *args, **initkwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **initkwargs))

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS or not _atomic_requests():
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc):
        """Answer the error; a read's error leaves an enclosing transaction as it was.

        DRF's handler marks the innermost atomic block for rollback, meant for the request's
        own. A read has none, so that block is a caller's (a test's): it must not be spoiled.
        """
        if self.request.method not in SAFE_METHODS:
            return super().handle_exception(exc)
        connection = connections[DEFAULT_DB_ALIAS]
        rollback = connection.get_rollback() if connection.in_atomic_block else None
        try:
            return super().handle_exception(exc)
        finally:
            if rollback is not None and connection.in_atomic_block:
                connection.set_rollback(rollback)


def _atomic_requests():
    return connections[DEFAULT_DB_ALIAS].settings_dict.get("ATOMIC_REQUESTS", False)


class ConditionalGetMixin:
    """Django's ``conditional_page`` (ETag from the body, 304 to a matching If-None-Match)
    around the viewset's dispatch.

    The same middleware as the decorator, applied without ``method_decorator``, which builds
    a wrapped copy of the bound method (``functools.wraps``) on every request: a tenth of a
    small API answer.
    """

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            # Rendered later: compare once the body is there, as the decorator does.
            response.add_post_render_callback(
                lambda rendered: _CONDITIONAL.process_response(request, rendered)
            )
            return response
        return _CONDITIONAL.process_response(request, response)


def _no_response(request):
    raise AssertionError("ConditionalGetMixin only post-processes responses.")


_CONDITIONAL = ConditionalGetMiddleware(_no_response)
