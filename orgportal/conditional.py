"""Conditional responses answered from the organisation version, before anything is rendered.

A page or API answer that shows the organisation is the same as long as the organisation
version, the request (path and query), its language and its reader are: its ETag is a hash of
those, and its Last-Modified the time of the organisation's last change. A request whose
``If-None-Match`` (or ``If-Modified-Since``) still holds gets a 304 after one small query,
instead of a tree built and rendered only to be hashed.
"""

import hashlib

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language

from departments.access import can_change
from orgportal.cache import org_state


def request_org_state(request):
    """Return the organisation's version and last change, read once per request."""
    state = getattr(request, "_org_state", None)
    if state is None:
        state = request._org_state = org_state()
    return state


def org_not_modified(request, *parts, weak=False):
    """Return a 304 if the client's copy is current, else None; remember the validators.

    ``parts`` are what else the answer depends on (such as the reader's permissions). Call it
    after the view has checked that the reader may see the answer.
    """
    version, changed_at = request_org_state(request)
    user = getattr(request, "user", None)
    key = "\n".join(
        str(part)
        for part in (
            version,
            get_language(),
            request.get_full_path(),
            getattr(user, "pk", None),
            *parts,
        )
    )
    etag = quote_etag(hashlib.blake2b(key.encode(), digest_size=16).hexdigest())
    if weak:
        etag = f"W/{etag}"
    last_modified = int(changed_at.timestamp()) if changed_at is not None else None
    request._org_validators = (etag, last_modified)
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is not None:
        set_org_validators(request, response)
    return response


def set_org_validators(request, response):
    """Give ``response`` the ETag and Last-Modified that org_not_modified() computed."""
    validators = getattr(request, "_org_validators", None)
    if validators is None or not (200 <= response.status_code < 300 or response.status_code == 304):
        return response
    etag, last_modified = validators
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    # Browsers keep the copy but ask again every time (answered by a cheap 304); no heuristic
    # freshness from Last-Modified, and no shared cache between readers.
    patch_cache_control(response, private=True, no_cache=True)
    return response


class OrgConditionalMixin:
    """Answer a page's conditional GET from the organisation version (see module docstring).

    Placed before the access mixins, whose dispatch() has checked the reader by the time
    get() runs. Pages with forms carry the CSRF token, so its cookie is part of the ETag.
    """

    def get(self, request, *args, **kwargs):
        csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
        if csrf_cookie is None:
            # This answer sets the browser's first CSRF cookie, so its copy could not be
            # validated later: no validators until the cookie is there.
            return super().get(request, *args, **kwargs)
        not_modified = org_not_modified(request, csrf_cookie, *self.conditional_parts(), weak=True)
        if not_modified is not None:
            return not_modified
        return set_org_validators(request, super().get(request, *args, **kwargs))

    def conditional_parts(self):
        """Return what else, besides the organisation, request and reader, the page shows:
        archived items, and the buttons of those who may change them."""
        model = getattr(self, "archived_model", None)
        may_change = model is not None and can_change(self.request.user, model)
        return [getattr(self, "show_archived", False), may_change]
