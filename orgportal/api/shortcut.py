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
"""

import functools

from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.cache import get_conditional_response
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

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
        route = self.route
        if (
            route is None
            or request.method != "GET"
            or not request.path_info.startswith(route.prefix)
        ):
            return self.get_response(request)
        code = request.path_info[len(route.prefix) :]
        if (
            not code.endswith("/")
            or not route.code.fullmatch(code[:-1])
            or code[:-1] in route.other_actions
        ):
            return self.get_response(request)
        try:
            response = self.answer(request, route, code[:-1])
        except DatabaseError:
            # The view answers it in the API's error format, and logs it.
            response = None
        if response is None:
            return self.get_response(request)
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
        # Every throttle counts the request, as DRF's check_throttles() does.
        allowed = [throttle.allow_request(request, None) for throttle in route.throttles()]
        if not all(allowed):
            return None
        if tree:
            response = org_not_modified(request, *route.tree_parts(request, JSON))
            if response is None or response.status_code != 304:
                return None
            response.headers["Allow"] = route.tree_allow
            return response
        cached = org_cache_peek(
            route.detail_cache_name(request, code, JSON),
            version=request_org_state(request)[0],
            alias="responses",
        )
        if cached is None:
            return None
        body, content_type, etag = cached
        response = HttpResponse(body, content_type=content_type)
        response.headers["Allow"] = route.allow
        if not etag:
            return response
        response.headers["ETag"] = etag
        return get_conditional_response(request, etag=etag, response=response)


JSON = JSONRenderer.format


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
            result = self.token_authentication.authenticate(request)
        except exceptions.AuthenticationFailed:
            return None
        if result is not None:
            return result[0]
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        # Anonymous, found as the view's session authentication finds it: from an empty
        # session (no query), which then asks caches to vary on the cookie.
        return get_user(request)

    def throttles(self):
        return [throttle() for throttle in self.view.throttle_classes]


def _allow(view, actions):
    """Return the Allow header DRF gives the answers of ``view`` routed with ``actions``."""
    methods = {*actions, "options"}
    if "get" in methods:
        methods.add("head")
    return ", ".join(name.upper() for name in view.http_method_names if name in methods)
