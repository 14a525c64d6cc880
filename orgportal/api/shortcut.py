"""The API's commonest reads, answered before Django's and DRF's request handling.

Other systems poll two answers: a department (``GET /api/v1/departments/<code>/``), whose
rendered bytes are kept per organisation version, and the tree with ``If-None-Match``, a 304
as long as the organisation version is the same. Both are ready after one query (the token,
its user and the version), yet the stack around them (the rest of the middleware, URL
resolution, DRF's request, its authentication, permission, throttle and negotiation classes)
cost twice what answering them does.

ApiShortcutMiddleware answers them itself when it can answer exactly as the view would: with
a token or no credentials at all (a session is a browser's: its middleware and CSRF checks
belong to the view's way), JSON without ``?format=``, the department's answer cached, the
tree's ETag current. It authenticates with the view's token authentication, checks the view's
permission, counts the request in the view's throttles, and gives the answer the headers of
the middleware it skips. Anything else (a miss, an error, a refused request, a write) goes on
to the view as before; the token is not looked up twice, nor the request counted twice.
tests/orgportal/test_api_shortcut.py compares the answers of both ways.

Under gunicorn it answers even earlier: ShortcutWSGIHandler (orgportal/wsgi.py) asks it before
Django's middleware chain, and applies the middleware before it around its answer as the
chain would (EARLIER_MIDDLEWARE); tests/orgportal/test_api_shortcut_wsgi.py compares those
answers with Django's handler's. On PostgreSQL the token query is a prepared statement
(orgportal.postgresql), planned once per connection. A department read again by a reader of a
kind the handler has answered before takes the express lane (orgportal.api.express), before
Django builds a request object at all.
"""

import functools

from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, SuspiciousOperation
from django.core.handlers.wsgi import WSGIHandler, get_script_name
from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.urls import (
    NoReverseMatch,
    Resolver404,
    resolve,
    reverse,
    set_script_prefix,
    set_urlconf,
)
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.deprecation import MiddlewareMixin
from django.utils.log import log_response
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from orgportal.api.express import HANDOVER, Express, ExpressBody
from orgportal.cache import org_cache_peek
from orgportal.conditional import org_not_modified, request_org_state

# The middleware after this one, and what answering without it leaves out: the response
# headers of those marked "applied" are added here; the others do nothing to an API read.
LATER_MIDDLEWARE = {
    # Its host and user-agent checks run here first; its Content-Length is added here.
    "django.middleware.common.CommonMiddleware": "applied",
    # Checks unsafe methods only; sets a CSRF cookie only for a page that asked for one.
    "django.middleware.csrf.CsrfViewMiddleware": "nothing",
    # The session's user: the shortcut leaves requests with a session to the view.
    "django.contrib.auth.middleware.AuthenticationMiddleware": "nothing",
    # Writes only.
    "orgportal.changes.context.ChangeContextMiddleware": "nothing",
    # Not under /api/.
    "orgportal.middleware.PageMessageMiddleware": "nothing",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "applied",
    # Answers locked-out logins only.
    "axes.middleware.AxesMiddleware": "nothing",
}
SHORTCUT = "orgportal.api.shortcut.ApiShortcutMiddleware"
ANY = "*/*"
# HEAD is answered as GET (the server sends no body), as DRF routes it to the same action.
READS = frozenset({"GET", "HEAD"})


class ApiShortcutMiddleware:
    """Answer a GET of a cached department, or of a tree the client has, from here."""

    def __init__(self, get_response):
        self.get_response = get_response
        later = settings.MIDDLEWARE[settings.MIDDLEWARE.index(SHORTCUT) + 1 :]
        unknown = [name for name in later if name not in LATER_MIDDLEWARE]
        if unknown:
            raise ImproperlyConfigured(
                f"{SHORTCUT} answers without the middleware after it, and does not know what "
                f"{', '.join(unknown)} would add: place it before {SHORTCUT}, or say in "
                "LATER_MIDDLEWARE why an API read by token needs nothing of it."
            )
        self.common = CommonMiddleware(get_response)
        self.frame_options = XFrameOptionsMiddleware(get_response)

    def __call__(self, request):
        response = self.respond(request)
        return self.get_response(request) if response is None else response

    def respond(self, request):
        """Return the view's answer to ``request`` with the headers of the middleware after
        this one, or None to leave the request to them and the view."""
        route = self.route
        if (
            route is None
            or request.method not in READS
            or not request.path_info.startswith(route.prefix)
        ):
            return None
        code = request.path_info[len(route.prefix) :]
        if (
            not code.endswith("/")
            or not route.code.fullmatch(code[:-1])
            or code[:-1] in route.other_actions
        ):
            return None
        try:
            response = self.answer(request, route, code[:-1])
        except DatabaseError:
            # The view answers it in the API's error format, and logs it.
            response = None
        if response is None:
            return None
        response = self.frame_options.process_response(request, response)
        return self.common.process_response(request, response)

    @functools.cached_property
    def route(self):
        return DepartmentRoute.find()

    def answer(self, request, route, code):
        """Return the view's answer to ``request``, or None to leave it to the view."""
        if (
            api_settings.URL_FORMAT_OVERRIDE in request.GET
            or request.META.get("HTTP_ACCEPT", ANY) != ANY
        ):
            return None
        try:
            if self.common.process_request(request) is not None:
                return None
        except (SuspiciousOperation, PermissionDenied):
            # A host not allowed, a user agent refused: answered (and logged) as before.
            return None
        tree = code == route.tree
        if tree and (
            "as_of" in request.GET
            or not (
                "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META
            )
        ):
            return None
        user = route.authenticate(request)
        if user is None or not (settings.ORGPORTAL_PUBLIC_READ or user.is_authenticated):
            return None
        request.user = user
        if not route.allows(request):
            return None
        if tree:
            response = org_not_modified(request, *route.tree_parts(request, JSON))
            if response is None or response.status_code != 304:
                return None
            response.headers["Allow"] = route.tree_allow
            return response
        name = route.detail_cache_name(request, code, JSON)
        cached = org_cache_peek(name, version=request_org_state(request)[0], alias="responses")
        if cached is None:
            return None
        # For the express lane (orgportal.api.express), which learns from this answer.
        setattr(request, CACHED_ATTRIBUTE, (name, translation.get_language()))
        body, content_type, etag = cached
        response = HttpResponse(body, content_type=content_type)
        # In the view's order: its ETag, then DRF's Allow.
        if etag:
            response.headers["ETag"] = etag
        response.headers["Allow"] = route.allow
        if not etag or request.method != "GET":
            # The view's ConditionalGetMiddleware answers 304 (or 412) to a GET only.
            return response
        return get_conditional_response(request, etag=etag, response=response)


JSON = JSONRenderer.format
CACHED_ATTRIBUTE = "_orgportal_cached_answer"


class DepartmentRoute:
    """What the department viewset does for a read, found once: its URL, authentication,
    throttles and the Allow header of its detail."""

    def __init__(self, *, prefix, code, view, allow, tree, tree_allow, other_actions):
        # Imported here: the views import the API's settings, which are read at first use.
        from departments.api.views import detail_cache_name, tree_conditional_parts

        self.prefix = prefix
        self.code = code
        self.view = view
        self.allow = allow
        self.tree = tree
        self.tree_allow = tree_allow
        # The viewset's other actions on the list (departments/<name>/), which are not
        # departments.
        self.other_actions = other_actions
        self.token_authentication = view.authentication_classes[0]()
        self.detail_cache_name = detail_cache_name
        self.tree_parts = tree_conditional_parts

    @classmethod
    def find(cls):
        """Return the route, or None when the viewset reads in a way the shortcut does not
        know (then every request goes to the view)."""
        from departments.api.filters import CODE_RE
        from orgportal.api.authentication import OrgTokenAuthentication
        from orgportal.api.negotiation import StrictContentNegotiation
        from orgportal.api.permissions import OrganisationPermission

        try:
            path = reverse("api:department-detail", kwargs={"code": "code"})
            match = resolve(path)
            tree = resolve(reverse("api:department-tree"))
        except (NoReverseMatch, Resolver404):  # URLs without the API (some tests')
            return None
        view = match.func.cls
        authentication = list(view.authentication_classes)
        if not (
            authentication[:1] == [OrgTokenAuthentication]
            # Finds no user in a request without a session cookie.
            and authentication[1:] == [SessionAuthentication]
            and list(view.permission_classes) == [OrganisationPermission]
            and list(view.renderer_classes) == [JSONRenderer]
            and view.content_negotiation_class is StrictContentNegotiation
            and view.versioning_class is None
            and match.func.actions.get("get") == "retrieve"
        ):
            return None
        if tree.func.cls is not view or tree.func.actions.get("get") != "tree":
            return None
        list_actions = {action.url_path for action in view.get_extra_actions() if not action.detail}
        _prepare_token_query()
        return cls(
            prefix=path[: -len("code/")],
            code=CODE_RE,
            view=view,
            allow=_allow(view, match.func.actions),
            tree=view.tree.url_path,
            tree_allow=_allow(view, tree.func.actions),
            other_actions=frozenset(list_actions - {view.tree.url_path}),
        )

    def authenticate(self, request):
        """Return the user of the request's token, an anonymous user when it sends no
        credentials, or None to leave the request to the view (a session, a bad token)."""
        try:
            user = self.token_authentication.authenticate_user(request)
        except exceptions.AuthenticationFailed:
            return None
        if user is not None:
            return user
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        # Anonymous, found as the view's session authentication finds it: from an empty
        # session (no query), which then asks caches to vary on the cookie.
        return get_user(request)

    def allows(self, request):
        """Return whether the view's throttles let ``request`` through, each counting it, as
        DRF's check_throttles() does (every one, even after one refuses)."""
        throttles = [throttle() for throttle in self.view.throttle_classes]
        verdicts = [throttle.allow_request(request, None) for throttle in throttles]
        return all(verdicts)


def _prepare_token_query():
    """Have PostgreSQL plan the token query once per connection (orgportal.postgresql)."""
    from orgportal.api import authentication
    from orgportal.postgresql.base import prepared

    prepared(authentication._query(), DEFAULT_DB_ALIAS)


def _allow(view, actions):
    """Return the Allow header DRF gives the answers of ``view`` routed with ``actions``."""
    methods = {*actions, "options"}
    if "get" in methods:
        methods.add("head")
    return ", ".join(name.upper() for name in view.http_method_names if name in methods)


# The middleware before ApiShortcutMiddleware, and what ShortcutWSGIHandler does of each for
# an answer given before Django's middleware chain: "hooks", its process_request() and
# process_response() (MiddlewareMixin's way); the others as named.
EARLIER_MIDDLEWARE = {
    # Its request id and log line (begin() and end()).
    "orgportal.middleware.RequestLogMiddleware": "log",
    # Answers exceptions that escape a view: none here.
    "orgportal.error_pages.ApiErrorMiddleware": "nothing",
    "django.middleware.security.SecurityMiddleware": "hooks",
    "orgportal.middleware.CSPMiddleware": "hooks",
    # Serves static files: a path it knows goes to Django's chain.
    "whitenoise.middleware.WhiteNoiseMiddleware": "static",
    "django.contrib.sessions.middleware.SessionMiddleware": "hooks",
    "django.middleware.locale.LocaleMiddleware": "hooks",
    # ?lang=: an unknown language goes to Django's chain (which refuses it).
    "orgportal.api.language.ApiLanguageMiddleware": "lang",
}


class ShortcutWSGIHandler(WSGIHandler):
    """Django's WSGI handler (orgportal/wsgi.py), with ApiShortcutMiddleware's reads answered
    before the middleware chain.

    Django's handler is unchanged around them: the script prefix, request_started (which
    closes connections that are too old or broken, as before every request), the request
    object, and the response's close() that sends request_finished (which does it again after
    the request). Only the chain is left out: the middleware before the shortcut is applied
    as the chain would apply it to the shortcut's answer (see EARLIER_MIDDLEWARE), without the
    wrappers around each one, which cost as much as the answer. A request the shortcut does
    not answer, or anything that goes wrong on the way, goes through the chain as before, on
    the same request object (so its token is not looked up twice, nor is it counted twice by
    the throttles). tests/orgportal/test_api_shortcut.py compares both ways' answers.

    Before all of it, the express lane (orgportal.api.express) answers the cached department
    reads it has learned, after the script prefix and request_started as here; what it does
    not answer goes on from there as Django's handler goes on (respond()).
    """

    front = None
    express = None

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async)
        self.front = None if is_async else Front.find(self._middleware_chain)
        self.express = None if self.front is None else Express.find(self.front.shortcut.route)

    def __call__(self, environ, start_response):
        express = self.express
        shape = None if express is None else express.shape(environ)
        if shape is None:
            return super().__call__(environ, start_response)
        # As WSGIHandler.__call__() starts.
        set_script_prefix(get_script_name(environ))
        request_started.send(sender=self.__class__, environ=environ)
        try:
            answer = express.answer(environ, shape)
        except Exception:  # noqa: BLE001 - the shortcut's way answers it in its way (and logs it)
            answer = None
        if answer is None:
            return self.respond(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return ExpressBody(body, self.__class__)

    def respond(self, environ, start_response):
        """Answer ``environ`` as WSGIHandler.__call__() does after request_started.

        Its lines, unchanged (tests/orgportal/test_api_express.py checks that Django's still
        read so).
        """
        request = self.request_class(environ)
        response = self.get_response(request)

        response._handler_class = self.__class__

        status = "%d %s" % (response.status_code, response.reason_phrase)  # noqa: UP031 - as Django
        response_headers = [
            *response.items(),
            *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
        ]
        start_response(status, response_headers)
        if getattr(response, "file_to_stream", None) is not None and environ.get(
            "wsgi.file_wrapper"
        ):
            # If `wsgi.file_wrapper` is used the WSGI server does not call
            # .close on the response, but on the file wrapper. Patch it to use
            # response.close instead which takes care of closing all files.
            response.file_to_stream.close = response.close
            response = environ["wsgi.file_wrapper"](response.file_to_stream, response.block_size)
        return response

    def get_response(self, request):
        handover = request.META.pop(HANDOVER, None)
        if handover is not None:
            handover.apply(request)
        front = self.front
        if front is not None and front.wants(request):
            set_urlconf(settings.ROOT_URLCONF)
            response = front.respond(request)
            if response is not None:
                cached = getattr(request, CACHED_ATTRIBUTE, None)
                if cached is not None and self.express is not None:
                    self.express.learn(request, response, cached)
                # As BaseHandler.get_response() ends.
                response._resource_closers.append(request.close)
                if response.status_code >= 400:
                    log_response(
                        "%s: %s",
                        response.reason_phrase,
                        request.path,
                        response=response,
                        request=request,
                    )
                return response
        return super().get_response(request)


class Front:
    """The middleware before the shortcut, applied around its answer."""

    def __init__(self, shortcut, request_hooks, response_hooks):
        self.shortcut = shortcut
        self.request_hooks = request_hooks
        self.response_hooks = response_hooks

    @classmethod
    def find(cls, chain):
        """Return the front of Django's middleware ``chain`` (a handler's), or None when the
        chain has no ApiShortcutMiddleware."""
        instances = _middleware(chain)
        names = list(settings.MIDDLEWARE)
        if SHORTCUT not in names or len(instances) != len(names):
            return None
        position = names.index(SHORTCUT)
        unknown = [name for name in names[:position] if name not in EARLIER_MIDDLEWARE]
        if unknown:
            raise ImproperlyConfigured(
                f"{SHORTCUT} is applied before Django's middleware chain, and "
                f"orgportal.api.shortcut.ShortcutWSGIHandler does not know how to apply "
                f"{', '.join(unknown)} around its answers: place it after {SHORTCUT}, or say "
                "in EARLIER_MIDDLEWARE how."
            )
        request_hooks, response_hooks = [], []
        for name, instance in zip(names[:position], instances[:position], strict=True):
            if type(instance) is not import_string(name):
                return None
            before, after = _hooks(EARLIER_MIDDLEWARE[name], instance)
            if before is not None:
                request_hooks.append(before)
            if after is not None:
                response_hooks.append(after)
        shortcut = instances[position]
        if not isinstance(shortcut, ApiShortcutMiddleware):
            return None
        response_hooks.reverse()
        return cls(shortcut, tuple(request_hooks), tuple(response_hooks))

    def wants(self, request):
        route = self.shortcut.route
        return (
            route is not None
            and request.method in READS
            and request.path_info.startswith(route.prefix)
        )

    def respond(self, request):
        """Return the chain's answer to ``request`` if the shortcut gives it, else None."""
        try:
            for hook in self.request_hooks:
                if hook(request) is not None:
                    return None
            response = self.shortcut.respond(request)
            if response is None:
                return None
            for hook in self.response_hooks:
                response = hook(request, response)
            return response
        except Exception:  # noqa: BLE001 - the chain answers it, in its way (and logs it)
            return None


def _middleware(chain):
    """Return the middleware instances of Django's ``chain``, outermost first.

    Each is wrapped by convert_exception_to_response(), which keeps it as ``__wrapped__``, and
    calls the next wrapper as its ``get_response``.
    """
    instances = []
    step = chain
    while True:
        instance = getattr(step, "__wrapped__", None)
        if instance is None or not hasattr(instance, "get_response"):
            return instances
        instances.append(instance)
        step = instance.get_response


STARTED_ATTRIBUTE = "_orgportal_shortcut_started"


def _hooks(kind, instance):
    """Return what to call for middleware ``instance`` before and after the shortcut."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    from orgportal.api.language import ApiLanguageMiddleware
    from orgportal.middleware import RequestLogMiddleware

    if kind == "log":
        if type(instance).__call__ is not RequestLogMiddleware.__call__:
            raise ImproperlyConfigured(f"{type(instance)} is not RequestLogMiddleware.")

        def begin(request):
            setattr(request, STARTED_ATTRIBUTE, instance.begin(request))

        def end(request, response):
            return instance.end(request, response, getattr(request, STARTED_ATTRIBUTE))

        return begin, end
    if kind == "nothing":
        return None, None
    if kind == "hooks":
        if type(instance).__call__ is not MiddlewareMixin.__call__:
            raise ImproperlyConfigured(f"{type(instance)} is not called as MiddlewareMixin is.")
        return getattr(instance, "process_request", None), getattr(
            instance, "process_response", None
        )
    if kind == "static":
        if type(instance).__call__ is not WhiteNoiseMiddleware.__call__:
            raise ImproperlyConfigured(f"{type(instance)} is not called as WhiteNoise is.")

        def static_file(request):
            if instance.autorefresh:
                return instance.find_file(request.path_info)
            return instance.files.get(request.path_info)

        return static_file, None
    if kind == "lang":
        if type(instance).__call__ is not ApiLanguageMiddleware.__call__:
            raise ImproperlyConfigured(f"{type(instance)} is not ApiLanguageMiddleware.")
        return _api_language, None
    raise ImproperlyConfigured(f"Unknown kind of middleware: {kind!r}.")


def _api_language(request):
    """ApiLanguageMiddleware's work: activate ?lang=; return True (leaving the request to the
    chain, which refuses it) for a language the API does not have."""
    from orgportal.api.language import LANG_PARAMETER, api_languages

    if LANG_PARAMETER in request.GET and request.path_info.startswith("/api/"):
        language = request.GET[LANG_PARAMETER].strip().lower()
        if language not in api_languages():
            return True
        translation.activate(language)
        request.LANGUAGE_CODE = language
    return None
