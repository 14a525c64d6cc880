"""The language of an API answer: ``?lang=`` when given, else Accept-Language (LocaleMiddleware).

Each translated text field of an answer (``name``, ``tagline``, …) is in that language, with
fallback to simplified Chinese, and a write of such a field writes that language's text; the
fields of each language (``name_zh_hans``, ``name_en``, ``name_zh_hant``) are always there too.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

from orgportal.api.errors import error_response

LANG_PARAMETER = "lang"


def api_languages():
    return [code for code, _name in settings.LANGUAGES]


class ApiLanguageMiddleware:
    """Activate the language that an API request's ``?lang=`` names; refuse an unknown one.

    Placed after django.middleware.locale.LocaleMiddleware, which has activated the language
    of Accept-Language already and sets Content-Language from the active language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if LANG_PARAMETER in request.GET and request.path_info.startswith("/api/"):
            language = request.GET[LANG_PARAMETER].strip().lower()
            if language not in api_languages():
                message = gettext("Choose one of: %s.") % ", ".join(api_languages())
                return error_response(
                    ValidationError({LANG_PARAMETER: [message]}), request, log=False
                )
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
