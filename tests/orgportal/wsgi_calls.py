"""Calling a WSGI handler as a WSGI server does, and comparing two handlers' answers: for the
tests of the answers given before Django's middleware chain (test_api_shortcut_wsgi.py,
test_api_express.py)."""

import contextlib
import logging

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

TREE_URL = "/api/v1/departments/tree/"
DETAIL_URL = "/api/v1/departments/digital-operations/"
IGNORED = ("X-Request-ID",)


@contextlib.contextmanager
def connections_kept():
    """As Django's test client does: the test's transaction outlives each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(handler, environ):
    """Return (status line, headers, body, request log records) of ``handler``'s answer,
    the body read and closed as a WSGI server does."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=headers)

    records = []
    log_handler = logging.Handler()
    log_handler.emit = records.append
    request_log = logging.getLogger("orgportal.requests")
    request_log.addHandler(log_handler)
    try:
        with connections_kept():
            result = handler(dict(environ), start_response)
            try:
                body = b"".join(result)
            finally:
                result.close()
    finally:
        request_log.removeHandler(log_handler)
    return answer["status"], answer["headers"], body, records


def environ(path, *, method="GET", user=None, secure=False, **meta):
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        meta.setdefault("HTTP_AUTHORIZATION", f"Token {token.key}")
    request = RequestFactory().generic(method, path, secure=secure, **meta)
    return request.environ


def header(answer, name):
    return next(value for key, value in answer[1] if key == name)


def same_answer(shortcut, view):
    """Assert that two answers are the same but for their request ids (and times)."""
    assert shortcut[0] == view[0]
    assert [h for h in shortcut[1] if h[0] not in IGNORED] == [
        h for h in view[1] if h[0] not in IGNORED
    ]
    assert shortcut[2] == view[2]
    assert [_log_line(record) for record in shortcut[3]] == [
        _log_line(record) for record in view[3]
    ]


def _log_line(record):
    return (record.levelno, record.method, record.path, record.status, record.user)


def _inactive(user):
    user.is_active = False
    user.save()
    return {}


# Reads that neither answer before the chain gives (each asked once the department is cached):
# for each, what it changes of a token reader's request (and of the reader).
OTHER_REQUESTS = {
    "another scheme": lambda user: {"HTTP_AUTHORIZATION": "Basic cm9vdDpyb290"},
    "token without a key": lambda user: {"HTTP_AUTHORIZATION": "Token"},
    "inactive user": _inactive,
    "format parameter": lambda user: {"QUERY_STRING": "format=json"},
    "accept header": lambda user: {"HTTP_ACCEPT": "application/json"},
    "unknown host": lambda user: {"HTTP_HOST": "evil.example.com"},
    "a write": lambda user: {"REQUEST_METHOD": "DELETE"},
}
