"""The API's JSON parser: bounded in size and depth, so that no body can make a 500."""

import codecs

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json

# The organisation's bodies are flat objects; nothing needs more nesting than this.
MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    """Parse JSON of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes and MAX_DEPTH levels.

    A larger body is a 413 and a deeper one a 400 (parse_error), each in the error format,
    rather than a RequestDataTooBig or a RecursionError.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        declared = _content_length(request)
        if limit is not None and declared is not None and declared > limit:
            raise _too_large(limit)
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise _too_large(limit)
        try:
            text = codecs.decode(body, encoding)
            constant = json.strict_constant if api_settings.STRICT_JSON else None
            data = json.loads(text, parse_constant=constant)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        except ValueError as error:
            raise ParseError(gettext("JSON parse error - %s") % error) from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_too_deep())
        return data


def _content_length(request):
    if request is None:
        return None
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) or None
    except ValueError:
        return None


def _too_large(limit):
    # Imported here: orgportal.api.errors imports DRF's views, whose settings load this parser.
    from orgportal.api.errors import TooLarge

    return TooLarge(gettext("The request body is larger than %d bytes.") % limit)


def _too_deep():
    return gettext("The JSON body is nested more than %d levels deep.") % MAX_DEPTH


def _depth_exceeds(data, limit):
    """Return whether ``data`` nests lists and objects more than ``limit`` levels deep."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
