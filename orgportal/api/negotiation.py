"""Content negotiation that refuses an unknown or empty ?format= instead of ignoring it."""

from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class StrictContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        parameter = self.settings.URL_FORMAT_OVERRIDE
        if parameter and parameter in request.query_params:
            formats = [renderer.format for renderer in renderers]
            if request.query_params[parameter] not in formats:
                raise ValidationError(
                    {parameter: [gettext("Choose one of: %s.") % ", ".join(formats)]}
                )
        return super().select_renderer(request, renderers, format_suffix)
