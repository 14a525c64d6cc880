"""Who makes a change, why, and through which path: read by every history record.

A web request sets it in ChangeContextMiddleware (the admin, the API with its token's user, the
pages); commands set it with change_context(); anything else (the shell, a script) is named
after the command it runs in.
"""

import sys
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

from simple_history.models import HistoricalRecords

REASON_HEADER = "X-Change-Reason"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The change reason column is a text column; a header longer than this is cut.
MAX_REASON = 500


@dataclass(frozen=True)
class ChangeContext:
    user: object = None
    reason: str = ""
    source: str = ""


_current: ContextVar[ChangeContext | None] = ContextVar("orgportal_change_context", default=None)


@contextmanager
def change_context(*, user=None, reason: str = "", source: str = ""):
    """Record the changes made inside the block with this user, reason and source."""
    outer = _current.get()
    context = ChangeContext(
        user=user if user is not None else getattr(outer, "user", None),
        reason=(reason or getattr(outer, "reason", ""))[:MAX_REASON],
        source=source or getattr(outer, "source", ""),
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current_context() -> ChangeContext:
    """Return the change context in force, named after the running command when none is."""
    context = _current.get()
    if context is not None:
        return context
    return ChangeContext(source=_process_source())


def _process_source() -> str:
    """Name a change made outside any request or change_context(): "shell", "command:…"."""
    argv = sys.argv
    if len(argv) > 1 and argv[0].endswith("manage.py"):
        return "shell" if argv[1] in ("shell", "shell_plus", "dbshell") else f"command:{argv[1]}"
    return "script"


def request_source(path: str) -> str:
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    return "web"


class ChangeContextMiddleware:
    """Give every change made in a request its user, reason (X-Change-Reason) and source.

    django-simple-history reads the request's user at the moment of the change; DRF sets the
    user of the underlying request when it authenticates a token, so API changes carry the
    token's user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in READ_METHODS:
            # A read records nothing: no context to set up (a tenth of a small API read).
            return self.get_response(request)
        HistoricalRecords.context.request = request
        reason = request.headers.get(REASON_HEADER, "").strip()
        try:
            with change_context(reason=reason, source=request_source(request.path)):
                return self.get_response(request)
        finally:
            with suppress(AttributeError):
                del HistoricalRecords.context.request
