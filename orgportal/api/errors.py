"""One error format for every API response that is not a success.

Every error body is ``{"error": {"status", "code", "message", "fields"?}}``; ``fields`` maps each
bad field or query parameter to its messages and appears only on validation errors.
"""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.db.models.deletion import ProtectedError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from redis.exceptions import RedisError
from rest_framework import exceptions, status, views
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

logger = logging.getLogger("django.request")


class Conflict(exceptions.APIException):
    """The request is valid but the current state of the organisation refuses it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the organisation.")
    default_code = "conflict"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class Unavailable(exceptions.APIException):
    """A service the portal needs (the database, the cache) does not answer."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The database does not answer. Try again in a minute.")
    default_code = "database_unavailable"


# PostgreSQL's serialization failure and deadlock: a concurrent change won; sending the same
# request again is safe.
RETRYABLE = frozenset({"40001", "40P01"})
CONCURRENT_CHANGE = _(
    "The organisation changed while this request ran, so it was not applied. Send it again."
)


def error_body(status_code, code, message, fields=None):
    """Return the body of an error response."""
    error = {"status": status_code, "code": code, "message": str(message)}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc, context):
    """Answer every exception raised in an API view with the one error format."""
    original = exc
    exc = _as_api_exception(exc)
    response = views.exception_handler(exc, context)
    if isinstance(exc, Unavailable):
        request = context.get("request")
        logger.error(
            "Service unavailable: %s",
            getattr(request, "path", ""),
            exc_info=(type(original), original, original.__traceback__),
        )
        response._has_been_logged = True
    if response is None:
        # Log the way Django does for an unhandled error, so error reporting still sees it.
        request = context.get("request")
        logger.error(
            "Internal Server Error: %s",
            getattr(request, "path", ""),
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        views.set_rollback()
        response = Response(
            error_body(500, "server_error", gettext("Internal server error.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
        # Logged above with the traceback; Django need not log the response again.
        response._has_been_logged = True
        return response
    response.data = _body_for(exc, response.status_code)
    return response


def error_response(exc, request, *, log):
    """Answer an exception raised outside an API view (in a middleware, at the commit) in the
    error format; ``log`` logs a 5xx with its traceback, for callers Django does not log for."""
    api_exception = _as_api_exception(exc) if exc is not None else None
    if isinstance(api_exception, exceptions.APIException):
        status_code = api_exception.status_code
        body = _body_for(api_exception, status_code)
    else:
        status_code = 500
        body = error_body(500, "server_error", gettext("Internal server error."))
    response = JsonResponse(
        body,
        status=status_code,
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
    if log and status_code >= 500:
        logger.error(
            "%s: %s",
            response.reason_phrase,
            request.path,
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"status_code": status_code, "request": request},
        )
        response._has_been_logged = True
    return response


def _as_api_exception(exc):
    if isinstance(exc, Http404):
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, ObjectDoesNotExist):
        # The object was deleted while the request ran (see departments.locking).
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return TooLarge(gettext("The request body is larger than %d bytes.") % limit)
    if isinstance(exc, ProtectedError):
        return Conflict(exc.args[0] if exc.args else None, code="protected")
    if isinstance(exc, IntegrityError) or (
        isinstance(exc, OperationalError)
        and getattr(getattr(exc, "__cause__", None), "sqlstate", None) in RETRYABLE
    ):
        return Conflict(CONCURRENT_CHANGE, code="conflict")
    if isinstance(exc, OperationalError | InterfaceError):
        return Unavailable()
    if isinstance(exc, RedisError):
        return Unavailable(
            gettext("The cache does not answer. Try again in a minute."), code="cache_unavailable"
        )
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, ProtectedError):
        return Conflict(exc.args[0] if exc.args else None, code="protected")
    return exc


def _body_for(exc, status_code):
    if isinstance(exc, exceptions.ValidationError):
        fields = dict(_flatten(exc.detail))
        general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, None) or fields.pop("", None)
        message = " ".join(general) if general else exceptions.ValidationError.default_detail
        return error_body(status_code, "invalid", message, fields)
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        return error_body(status_code, code, detail)
    return error_body(status_code, "error", str(exc))


def _flatten(detail, prefix=""):
    """Yield (field path, [messages]) pairs from a nested DRF error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) and prefix:
                # A nested list's errors by position (DRF keys them by index): members[0].role.
                yield from _flatten(value, f"{prefix}[{key}]")
            else:
                yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            yield prefix, [str(item) for item in detail]
            return
        for index, item in enumerate(detail):
            if item:
                yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, [str(detail)]


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Answer a URL under /api/ that matches no endpoint with the one error format."""
    message = gettext("No API endpoint at this URL.")
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            message = gettext("No API endpoint at this URL. API URLs end with a slash: %s") % (
                request.path + "/"
            )
    return JsonResponse(
        error_body(404, "not_found", message),
        status=404,
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
