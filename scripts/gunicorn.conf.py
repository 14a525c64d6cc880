"""gunicorn settings for orgportal, from the environment (every variable is in .env.example)."""

import logging
import os
import sys
from pathlib import Path

from gunicorn import glogging

# gunicorn reads this file before it puts the project on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orgportal.cpu_affinity import pin_mode, pin_worker  # noqa: E402
from orgportal.logging import logging_config  # noqa: E402


class Logger(glogging.Logger):
    """gunicorn's logger, which builds no access log line while its logger would drop it.

    gunicorn builds every request's access-log fields whenever a logging configuration is
    given, even for a logger that writes nowhere (here: the portal logs each request itself).
    """

    def setup(self, cfg):
        super().setup(cfg)
        if not self.access_log.isEnabledFor(logging.INFO):
            self._access_log_enabled = False


logger_class = Logger

_port = os.environ.get("PORT", "8000")
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_port}"
# Workers and threads: measured on two cores in docs/deploy.md (Workers and threads). Several
# workers need no Redis: the organisation version is in the database, so every worker's cache
# follows every change, and the admin's import files wait in files the workers share. Without
# Redis each worker counts API throttles on its own (up to WEB_CONCURRENCY times the rate).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so that no slow leak builds up.
max_requests = 2000
max_requests_jitter = 200
# Load the application before forking: a configuration error stops the server at once with its
# message instead of failing in every worker.
preload_app = True
# Docker's overlay filesystem makes the heartbeat file slow; /dev/shm is memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket (gunicorn 27+): nothing uses it, and the image's home is read-only.
control_socket_disable = True
# Each worker on the core its siblings use least (orgportal/cpu_affinity.py): a worker's threads
# hand the GIL to each other far faster on one core; docs/deploy.md measures it. auto (the
# default) pins where the workers are at least half as many as the cores they may use.
_pin = pin_mode(os.environ.get("GUNICORN_PIN_WORKERS", "auto"))


def post_fork(server, worker):
    pin_worker(server, worker, _pin)


# gunicorn's own messages in the same format as the portal's (see LOG_FORMAT); the portal logs
# each request itself, so gunicorn's access log stays off.
_debug = os.environ.get("DEBUG", "").lower() in ("1", "true", "yes", "on")
_format = os.environ.get("LOG_FORMAT") or ("text" if _debug else "json")
logconfig_dict = logging_config(
    _format if _format in ("json", "text") else "json",
    loggers={
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
)
