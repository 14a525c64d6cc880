"""Content negotiation that refuses an unknown or empty ?format= instead of ignoring it."""

from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

ANY = frozenset({"*/*"})


class StrictContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        parameter = self.settings.URL_FORMAT_OVERRIDE
        if (
            not format_suffix
            and not (parameter and parameter in request.query_params)
            and request.META.get("HTTP_ACCEPT", "*/*") in ANY
        ):
            # What DRF answers to a client that takes anything (most API clients send no
            # Accept header): the first renderer, with its own media type. Without parsing
            # the header, a twentieth of a small API answer.
            return renderers[0], renderers[0].media_type
        if parameter and parameter in request.query_params:
            formats = [renderer.format for renderer in renderers]
            if request.query_params[parameter] not in formats:
                raise ValidationError(
                    {parameter: [gettext("Choose one of: %s.") % ", ".join(formats)]}
                )
        return super().select_renderer(request, renderers, format_suffix)
