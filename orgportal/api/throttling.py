"""API throttles whose rates are read from the settings on every request, and that let requests
through when the cache they count in does not answer."""

import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class SettingsRateMixin:
    """Take the rate from ORGPORTAL_API_THROTTLE_RATES (None: no limit); fail open."""

    def get_rate(self):
        return settings.ORGPORTAL_API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("The cache does not answer; the API is not throttled.", exc_info=True)
            return True


class UserThrottle(SettingsRateMixin, UserRateThrottle):
    """Requests per signed-in user (token or session), or per address for anonymous ones."""


class AnonThrottle(SettingsRateMixin, AnonRateThrottle):
    """Requests per address of anonymous readers (ORGPORTAL_PUBLIC_READ)."""


def client_ip(request):
    """Return the client's address as the API throttles see it (NUM_PROXIES), for django-axes."""
    return UserThrottle().get_ident(request)
