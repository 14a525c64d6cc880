"""Log one line per request: method, path, status, duration, user and a request id."""

import logging
import re
import time
import uuid

import csp.constants
import csp.middleware
import csp.utils
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger("orgportal.requests")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# A proxy's request id is kept when it looks like one; anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Load balancers poll these every few seconds; a success is logged at DEBUG only.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class RequestLogMiddleware:
    """Time each request and log it once the response is ready, keyed by a request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = self.begin(request)
        return self.end(request, self.get_response(request), started)

    @staticmethod
    def begin(request):
        """Give ``request`` its id; return the time its handling starts."""
        request.request_id = request_id_of(request.META)
        return time.perf_counter()

    @staticmethod
    def end(request, response, started):
        """Log ``request`` with ``response``, which gets the request id; return it.

        Also called by orgportal.api.shortcut for the answers it gives before Django's
        middleware chain.
        """
        response.headers[REQUEST_ID_HEADER] = request.request_id
        log_request(
            method=request.method,
            path=request.path,
            status=response.status_code,
            started=started,
            user=_username(request),
            request_id=request.request_id,
        )
        return response


def log_request(*, method, path, status, started, user, request_id):
    """Write the request's log line; ``started`` is the perf_counter() of its start.

    Also called by orgportal.api.express, which answers without a request object.
    """
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.log(
        _level(path, status),
        "%s %s %s %.1fms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "user": user,
            "request_id": request_id,
        },
    )


def request_id_of(meta):
    """Return the request id for a request with WSGI environ (or META) ``meta``: the proxy's,
    when it looks like one, else a new one."""
    # From META: request.headers builds a dictionary of every header (a tenth of a small API
    # answer's time).
    incoming = meta.get(REQUEST_ID_META, "")
    return incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _level(path, status):
    if status >= 500:
        return logging.ERROR
    if status >= 400:
        return logging.WARNING
    return logging.DEBUG if path in QUIET_PATHS else logging.INFO


def _username(request):
    """Return the user's name if the request already loaded its user, else None.

    Loading it here would cost queries on requests that never looked at the user, such as
    the health checks.
    """
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.get_username() if user.is_authenticated else None


class PageMessageMiddleware(MessageMiddleware):
    """Django's messages for pages and the admin; none for the API, which never shows them.

    Setting up the message storage (a signed-cookie reader) costs a few per cent of a small
    API answer.
    """

    def process_request(self, request):
        if not request.path_info.startswith("/api/"):
            super().process_request(request)


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, building the site's policy once instead of on every response.

    A response without a policy of its own (no ``csp_update``/``csp_replace``/``csp_exempt``
    decorator, no nonce) gets the policy the settings give, which django-csp builds from the
    settings' dictionaries every time: a twentieth of a small API answer. Built once per
    settings (forgotten when a test changes them); every other response goes the library's way.
    """

    _built: dict = {}

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_RESPONSE_ATTRIBUTES
        ):
            return super().process_response(request, response)
        policies = self._built.get("policies")
        if policies is None:
            policies = self._built["policies"] = (
                csp.utils.build_policy(),
                csp.utils.build_policy(report_only=True),
            )
        # The rest as the library does it: the debug pages, exempt and excluded paths.
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for header, policy, setting in (
            (csp.constants.HEADER, policies[0], "CONTENT_SECURITY_POLICY"),
            (csp.constants.HEADER_REPORT_ONLY, policies[1], "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if not policy or header in response:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


# What django-csp's decorators set on a response: such a response's policy is built for it.
_CSP_RESPONSE_ATTRIBUTES = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@receiver(setting_changed)
def _forget_policies(**kwargs):
    CSPMiddleware._built.clear()
