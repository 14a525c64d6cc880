"""JSON log lines for production: one object per line, errors with their tracebacks."""

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
_PLAIN_TYPES = (str, int, float, bool, type(None))


def logging_config(log_format: str, *, loggers: dict, root_level: str | None = None) -> dict:
    """Return a dictConfig that writes to stdout in ``log_format`` (json or text).

    The portal's settings and gunicorn's configuration both use it, so the server's own
    messages and the portal's look the same.
    """
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "orgportal.logging.JSONFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": log_format,
            }
        },
        "loggers": loggers,
    }
    if root_level is not None:
        config["root"] = {"handlers": ["console"], "level": root_level}
    return config


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, extras, traceback."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name in _RECORD_ATTRIBUTES or name in entry:
                continue
            if name == "request":
                entry.update(_request_fields(value))
            elif name == "status_code":
                entry.setdefault("status", value)
            elif isinstance(value, _PLAIN_TYPES):
                entry[name] = value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _request_fields(request):
    """Return what identifies ``request`` in an error line (Django logs errors with it)."""
    fields = {}
    for name in ("method", "path", "request_id"):
        value = getattr(request, name, None)
        if isinstance(value, str):
            fields[name] = value
    return fields
