"""A cached department read answered with the headers learned from an earlier answer like it,
before Django builds a request object.

Under gunicorn, ShortcutWSGIHandler (orgportal.api.shortcut) answers a cached department before
Django's middleware chain, but still builds what the chain would: Django's request and response
objects, and each middleware's headers, one at a time. Two requests that differ only in their
department, token and request id get the same headers, though. The express lane learns those
headers from the first such answer the shortcut gives, separately for each kind of request
(host, scheme, language, and whether the reader sees archived departments). For each later
request of that kind it reads the token (the same single query as before), takes the
department's answer from the cache, counts the request in the throttles, gives the answer the
learned headers and writes the same log line, all without a request object.

Whatever the lane does not answer goes the shortcut's way, with what the lane read handed over,
so the token is not read twice and the request is not counted twice. This covers another kind
of request, a miss, a refusal and an error. tests/orgportal/test_api_express.py compares the
lane's answers with Django's handler's.
"""

import re
import time
import weakref
from typing import NamedTuple

from django.conf import settings
from django.core.signals import request_finished, setting_changed
from django.dispatch import receiver
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from orgportal.api.authentication import VERSION_ATTRIBUTE, remember_user
from orgportal.api.throttling import COUNTED_ATTRIBUTE
from orgportal.cache import org_cache_peek
from orgportal.middleware import log_request, request_id_of

# Where the lane leaves what it read for the shortcut's way (taken out of the request's META
# before anything else sees it).
HANDOVER = "orgportal.express.handover"
# Kinds of request learned at most, so that clients sending ever new Accept-Language values
# cannot grow a worker's memory: kinds past it go the shortcut's way.
LANES_LIMIT = 64
# The token as DRF's TokenAuthentication reads it (a case-insensitive keyword, one space, the
# key); anything else (another scheme, stray spaces, a key DRF never makes) goes the
# shortcut's way, which answers it as the view does.
TOKEN = re.compile(r"(?i:token) ([0-9A-Za-z]+)")
# Requests for a conditional answer, or with a cookie (a browser's session), go the shortcut's
# way (an empty header is no header, there as here).
ASIDE = (
    "HTTP_COOKIE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)
# What the learned headers and the cached answer's address may depend on: the lane's kind of
# request is these values of the WSGI environment (with the proxy's SSL header, when set) and
# whether the reader sees archived departments.
KIND = (
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_ACCEPT_LANGUAGE",
)
# The headers that differ from one answer of a kind to the next.
VARYING = ("ETag", "Content-Length", "X-Request-ID")
ANY = "*/*"
JSON = JSONRenderer.format


class Lane(NamedTuple):
    """What the answers to one kind of request share."""

    status: str
    headers: tuple
    # Where in ``headers`` the VARYING ones are.
    slots: tuple
    content_type: str
    language: str
    root: str


class Handover:
    """What the lane read of a request it did not answer, for the shortcut's way."""

    def __init__(self, user):
        self.user = user
        self.counted = None

    def apply(self, request):
        """Give Django's ``request`` what was read, as if its own way had read it."""
        remember_user(request, self.user)
        if self.counted is not None:
            setattr(request, COUNTED_ATTRIBUTE, self.counted)


class _Reader:
    """What the throttles read of a request: its user, and its environment for an address."""

    def __init__(self, user, environ):
        self.user = user
        self.META = environ


class Express:
    """The express lane of one WSGI handler (ShortcutWSGIHandler, whose shortcut ``route`` is
    the department viewset's)."""

    def __init__(self, route):
        from departments.access import can_change
        from departments.api.views import department_cache_name
        from departments.models import Department

        self.route = route
        self.lanes = {}
        self.can_change = can_change
        self.department = Department
        self.cache_name = department_cache_name
        _ALL.add(self)

    def may_change(self, user):
        """Return whether ``user`` sees archived departments (and their cached answers)."""
        return self.can_change(user, self.department)

    @classmethod
    def find(cls, route):
        """Return the lane for the shortcut's ``route``, or None where the answer's headers may
        depend on more than its kind of request, or the route is unknown."""
        if route is None or _depends_on_path(route):
            return None
        return cls(route)

    def shape(self, environ):
        """Return (department code, token key, kind of request) of a request the lane may
        answer, or None."""
        route = self.route
        path = environ.get("PATH_INFO", "")
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or not path.startswith(route.prefix)
            or not path.endswith("/")
            or not path.isascii()
            or environ.get("QUERY_STRING")
            # Django's script name (and so request.path) comes from these.
            or environ.get("SCRIPT_NAME")
            or environ.get("SCRIPT_URL")
            or environ.get("REDIRECT_URL")
            or environ.get("HTTP_ACCEPT", ANY) != ANY
            or any(environ.get(name) for name in ASIDE)
        ):
            return None
        code = path[len(route.prefix) : -1]
        if not route.code.fullmatch(code) or code == route.tree or code in route.other_actions:
            return None
        token = TOKEN.fullmatch(environ.get("HTTP_AUTHORIZATION", ""))
        if token is None:
            return None
        kind = tuple(environ.get(name) for name in KIND)
        proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        if proxy_ssl_header:
            kind += (environ.get(proxy_ssl_header[0]),)
        return code, token.group(1), kind

    def answer(self, environ, shape):
        """Return (status line, headers, body) of the answer to ``environ``, whose shape() is
        ``shape``, or None to leave it to the shortcut's way, with what was read in
        ``environ[HANDOVER]``."""
        started = time.perf_counter()
        code, key, kind = shape
        try:
            user = self.route.token_authentication.user_of(key)
        except exceptions.AuthenticationFailed:
            return None  # answered by the view, which reads the token again
        handover = environ[HANDOVER] = Handover(user)
        may_change = self.may_change(user)
        lane = self.lanes.get((kind, may_change))
        version = getattr(user, VERSION_ATTRIBUTE)
        if lane is None or version is None:
            return None
        cached = org_cache_peek(
            self.cache_name(code, may_change=may_change, format=JSON, root=lane.root),
            version=version,
            language=lane.language,
            alias="responses",
        )
        if cached is None:
            return None
        body, content_type, etag = cached
        if not etag or content_type != lane.content_type:
            return None
        reader = _Reader(user, environ)
        allowed = self.route.allows(reader)
        handover.counted = getattr(reader, COUNTED_ATTRIBUTE, None)
        if not allowed:
            return None
        del environ[HANDOVER]
        request_id = request_id_of(environ)
        headers = list(lane.headers)
        for slot, value in zip(lane.slots, (etag, str(len(body)), request_id), strict=True):
            headers[slot] = (headers[slot][0], value)
        log_request(
            method="GET",
            path=environ["PATH_INFO"],
            status=200,
            started=started,
            user=user.get_username(),
            request_id=request_id,
        )
        return lane.status, headers, body

    def learn(self, request, response, cached):
        """Keep the headers of ``response``, the shortcut's answer to ``request`` from the
        cache entry ``cached`` (its name and language), for the requests of its kind."""
        shape = self.shape(request.environ)
        if (
            shape is None
            or len(self.lanes) >= LANES_LIMIT
            or response.status_code != 200
            or response.cookies
            # Whether an insecure request is redirected depends on its path
            # (SECURE_REDIRECT_EXEMPT): those stay on the shortcut's way.
            or (settings.SECURE_SSL_REDIRECT and not request.is_secure())
            # Settings changed since the lane was made (in tests).
            or _depends_on_path(self.route)
        ):
            return
        code, _key, kind = shape
        may_change = self.may_change(request.user)
        root = request.build_absolute_uri("/")
        name, language = cached
        if self.cache_name(code, may_change=may_change, format=JSON, root=root) != name:
            return  # the cached answer's address depends on more than the kind
        headers = tuple(response.items())
        names = [header for header, _value in headers]
        if any(names.count(header) != 1 for header in (*VARYING, "Content-Type")):
            return
        self.lanes[(kind, may_change)] = Lane(
            status=f"{response.status_code} {response.reason_phrase}",
            headers=headers,
            slots=tuple(names.index(header) for header in VARYING),
            content_type=response.headers["Content-Type"],
            language=language,
            root=root,
        )


def _depends_on_path(route):
    """Return whether the headers of the answers under ``route`` may depend on more of the
    path than its department: refused by the user agent, without the security policy by the
    path, another script name, a static file."""
    csp_exclusions = [
        prefix
        for setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
        for prefix in (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    ]
    return bool(
        settings.DISALLOWED_USER_AGENTS
        or settings.FORCE_SCRIPT_NAME is not None
        or any(prefix.startswith(route.prefix) for prefix in csp_exclusions)
        or route.prefix.startswith(settings.STATIC_URL or "/static/")
    )


class ExpressBody(list):
    """The lane's answer's body, closed by the WSGI server as Django's response is closed:
    with request_finished (which closes connections that are too old or broken)."""

    def __init__(self, body, handler_class):
        super().__init__((body,))
        self.handler_class = handler_class

    def close(self):
        request_finished.send(sender=self.handler_class)


_ALL = weakref.WeakSet()


@receiver(setting_changed)
def _forget_lanes(**kwargs):
    """Forget every learned lane when a test changes a setting: the headers may change."""
    for express in list(_ALL):
        express.lanes.clear()
