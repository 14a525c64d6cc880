"""Error answers outside the views: branded pages for people, the one error format for the API.

Django calls these handlers (see orgportal/urls.py) for errors that happen before or after a
view, such as a database that does not answer when the request's transaction begins; the
middleware answers errors that escape an API view, such as a failed commit.
"""

import logging
import sys

from django.http import HttpResponseServerError
from django.template.loader import render_to_string
from django.views.defaults import bad_request as page_bad_request

from orgportal.api.errors import error_response

logger = logging.getLogger(__name__)


def is_api(request):
    return request.path_info.startswith("/api/")


class ApiErrorMiddleware:
    """Answer an exception that escapes an API view in the API's error format."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api(request):
            return None
        return error_response(exception, request, log=True)


def bad_request(request, exception, template_name="400.html"):
    if is_api(request):
        return error_response(exception, request, log=False)
    return page_bad_request(request, exception, template_name)


def server_error(request, template_name="orgportal/errors/500.html"):
    """Answer an unhandled error: JSON under /api/, else a page that touches no database."""
    exception = sys.exc_info()[1]
    if is_api(request):
        # Django logs the exception with this response (log_response), so no second line.
        return error_response(exception, request, log=False)
    try:
        html = render_to_string(template_name, {"request_id": getattr(request, "request_id", "")})
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        logger.exception("The error page could not be rendered.")
        html = "<h1>Server Error (500)</h1>"
    return HttpResponseServerError(html)
