"""The API's documentation pages, with every asset served by the portal itself."""

import functools
import hashlib
from pathlib import Path

import drf_spectacular_sidecar
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

REDOC_BUNDLE = (
    Path(drf_spectacular_sidecar.__file__).parent
    / "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
)
# ReDoc's sidebar ends with "API docs by Redocly" and that company's logo from its CDN.
REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def redoc_bundle() -> bytes:
    """Return ReDoc's bundle without the address of Redocly's logo.

    With an empty address the browser fetches nothing, and ReDoc leaves out an image that
    fails to load; the link to Redocly stays, as text.
    """
    return REDOC_BUNDLE.read_bytes().replace(REDOCLY_LOGO, b"")


@functools.cache
def redoc_bundle_etag() -> str:
    return hashlib.sha256(redoc_bundle()).hexdigest()[:32]


@cache_control(public=True, max_age=86_400)
@etag(lambda request: redoc_bundle_etag())
def redoc_bundle_view(request):
    return HttpResponse(redoc_bundle(), content_type="text/javascript; charset=utf-8")


class OfflineRedocView(SpectacularRedocView):
    """drf-spectacular's ReDoc page, loading the bundle above instead of the sidecar's."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data["redoc_standalone"] = reverse("api:redoc-bundle")
        return response
