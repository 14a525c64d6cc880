"""JSON log lines for production: one object per line, errors with their tracebacks."""

import json
import logging
import math
from datetime import UTC, datetime
from json.encoder import encode_basestring

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
                "class": "orgportal.logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": log_format,
            }
        },
        "loggers": loggers,
    }
    if root_level is not None:
        config["root"] = {"handlers": ["console"], "level": root_level}
    return config


class StreamHandler(logging.StreamHandler):
    """logging's StreamHandler, which formats a record before it takes the handler's lock.

    The lock keeps lines whole between threads; formatting needs no lock (a formatter
    writes only to its record, which one thread handles). Formatting inside it, as logging
    does, kept the other threads of a gunicorn worker waiting on it as long again as the write
    (a tenth of an API answer's time went to the request's log line at load). What is
    written, and when, is the same: one line per record, flushed at once.
    """

    def handle(self, record):
        rv = self.filter(record)
        if isinstance(rv, logging.LogRecord):  # a filter's record replaces it (Python 3.12+)
            record = rv
        if rv:
            try:
                line = self.format(record) + self.terminator
            except RecursionError:
                raise
            except Exception:  # noqa: BLE001 - as StreamHandler.emit()
                self.handleError(record)
                return rv
            with self.lock:
                try:
                    self.stream.write(line)
                    self.flush()
                except RecursionError:
                    raise
                except Exception:  # noqa: BLE001 - as StreamHandler.emit()
                    self.handleError(record)
        return rv


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, extras, traceback."""

    def format(self, record):
        entry = {
            "time": _iso_time(record.created),
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
        return _flat_json(entry) or _ENCODER.encode(entry)


# json.dumps(entry, ensure_ascii=False, default=str), without building an encoder each time.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
_CONSTANTS = {None: "null", True: "true", False: "false"}


def _flat_json(entry):
    """Return what _ENCODER.encode(entry) returns for a dictionary of strings (keys and
    values), exact integers and floats, booleans and None (every request's line), written
    out directly (a third of the time); None for anything else."""
    parts = []
    for name, value in entry.items():
        kind = type(value)
        if kind is str:
            text = encode_basestring(value)
        elif kind is int:
            text = int.__repr__(value)
        elif kind is float and math.isfinite(value):
            text = float.__repr__(value)
        elif value is None or kind is bool:
            text = _CONSTANTS[value]
        else:
            return None
        if type(name) is not str:
            return None
        parts.append(f"{encode_basestring(name)}: {text}")
    return "{" + ", ".join(parts) + "}"


# (whole second, its ISO text up to the seconds) of the last record: lines come many a second.
_last_second = (None, "")


def _iso_time(created):
    """Return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"), the
    date and time of a second built once for all its records.

    The same rounding as datetime's: the fraction of a second to the nearest microsecond
    (half to even; 1,000,000 carries to the next second), then cut to milliseconds.
    """
    global _last_second
    fraction, whole = math.modf(created)
    micro = round(fraction * 1_000_000)
    if not 0 <= micro < 1_000_000 or whole < 0:  # a carry, or before 1970: datetime's way
        return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    second, prefix = _last_second
    if second != whole:
        prefix = datetime.fromtimestamp(whole, UTC).replace(tzinfo=None).isoformat()
        _last_second = (whole, prefix)
    return f"{prefix}.{micro // 1000:03d}+00:00"


def _request_fields(request):
    """Return what identifies ``request`` in an error line (Django logs errors with it)."""
    fields = {}
    for name in ("method", "path", "request_id"):
        value = getattr(request, name, None)
        if isinstance(value, str):
            fields[name] = value
    return fields
