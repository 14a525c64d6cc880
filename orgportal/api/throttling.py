"""API throttles whose rates are read from the settings on every request, and that let requests
through when the cache they count in does not answer."""

import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

# Where a request keeps the throttles' verdicts on it, by scope.
COUNTED_ATTRIBUTE = "_orgportal_throttled"


class SettingsRateMixin:
    """Take the rate from ORGPORTAL_API_THROTTLE_RATES (None: no limit); count requests in
    fixed windows with one cache increment; fail open.

    DRF's own throttles keep the time of every request in the window as one cached list,
    read and written whole on each request: at 1,200 requests a minute that is 1,200 numbers
    pickled twice per request, and more at higher rates. A counter per window costs one
    increment whatever the rate. Like every fixed-window limit it lets a client make up to
    twice the rate across the boundary of two windows.
    """

    def get_rate(self):
        return settings.ORGPORTAL_API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        # A request is counted once per scope, though it may be asked twice: by
        # orgportal.api.shortcut and, when that leaves the request to DRF, by the view.
        counted = _counted(request)
        if self.scope in counted:
            self.now, self.window_ends, allowed = counted[self.scope]
            return allowed
        try:
            allowed = self.count_request(request, view)
        except RedisError:
            logger.warning("The cache does not answer; the API is not throttled.", exc_info=True)
            allowed = True
        counted[self.scope] = (
            getattr(self, "now", None),
            getattr(self, "window_ends", None),
            allowed,
        )
        return allowed

    def count_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{key}:{window}"
        return self._count(key) <= self.num_requests

    def _count(self, key):
        """Count a request in the counter ``key``; return the count.

        Every request but a window's first increments the counter, so it is incremented
        first (one cache call; Django's Redis incr() is two round trips, its add() one);
        the first request finds none and adds it, with the window's lifetime. Each step is
        atomic in Redis and in the local-memory cache, and a counter that another process
        added meanwhile, or that expired meanwhile, is counted in all the same.
        """
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request
            pass
        if self.cache.add(key, 1, timeout=self.duration + 1):
            return 1
        try:
            return self.cache.incr(key)  # added by another request meanwhile
        except ValueError:  # expired between the two calls
            self.cache.set(key, 1, timeout=self.duration + 1)
            return 1

    def wait(self):
        return max(self.window_ends - self.now, 0.001)


def _counted(request):
    """Return the throttle verdicts of ``request`` (Django's, under DRF's), by scope."""
    request = getattr(request, "_request", request)
    counted = getattr(request, COUNTED_ATTRIBUTE, None)
    if counted is None:
        counted = {}
        setattr(request, COUNTED_ATTRIBUTE, counted)
    return counted


class UserThrottle(SettingsRateMixin, UserRateThrottle):
    """Requests per signed-in user (token or session), or per address for anonymous ones."""


class AnonThrottle(SettingsRateMixin, AnonRateThrottle):
    """Requests per address of anonymous readers (ORGPORTAL_PUBLIC_READ)."""


def client_ip(request):
    """Return the client's address as the API throttles see it (NUM_PROXIES), for django-axes."""
    return UserThrottle().get_ident(request)
