"""The content languages: fallbacks from stored columns, labels, and traditional conversion.

Every translated text has one column per language (``name_zh_hans``, ``name_en``,
``name_zh_hant``; django-modeltranslation adds them, see each app's ``translation.py``).
Simplified Chinese is the source and the fallback of the other two. The traditional column is
never empty where the simplified one is not: where HR write no traditional text, it holds an
automatic conversion (see orgportal.translated), so every language reads from columns alone.
"""

from functools import cache

from django.conf import settings
from django.utils.translation import get_language, get_language_info, gettext

SOURCE_LANGUAGE = "zh-hans"
TRADITIONAL_LANGUAGE = "zh-hant"
CONTENT_LANGUAGES = ("zh-hans", "en", "zh-hant")
# The lang attribute of each content language (BCP 47, the script in title case).
LANG_ATTRIBUTES = {"zh-hans": "zh-Hans", "en": "en", "zh-hant": "zh-Hant"}


def column(field: str, language: str) -> str:
    """Return the column of ``field`` that holds ``language``: column("name", "zh-hant")."""
    return f"{field}_{language.replace('-', '_')}"


def columns(*fields: str) -> list[str]:
    """Return the columns of every language of ``fields``, field by field."""
    return [column(field, language) for field in fields for language in CONTENT_LANGUAGES]


def content_language(language: str | None = None) -> str:
    """Return the content language for a UI language (the active one by default)."""
    language = (language or get_language() or SOURCE_LANGUAGE).lower()
    if language in CONTENT_LANGUAGES:
        return language
    if language.startswith("en"):
        return "en"
    if language in ("zh-tw", "zh-hk", "zh-mo") or language.startswith("zh-hant"):
        return TRADITIONAL_LANGUAGE
    return SOURCE_LANGUAGE


def fallback_order(language: str | None = None) -> tuple[str, ...]:
    """Return the languages to try, in order, for a text in ``language``."""
    language = content_language(language)
    return (language,) if language == SOURCE_LANGUAGE else (language, SOURCE_LANGUAGE)


def localized(row, field: str, language: str | None = None) -> str:
    """Return ``field`` of a ``values()`` row (or any mapping) in ``language``, with fallback.

    The row holds the columns of every language (``columns("name")``); the first non-empty
    one in fallback order wins. This is how read paths built from rows show a text: load the
    columns once, cache the rows for every language, and pick the language when rendering.
    """
    for candidate in fallback_order(language):
        value = row.get(column(field, candidate))
        if value:
            return value
    return ""


def localized_verbose_name(verbose_name, language: str) -> str:
    """Label one language's column of a field: "name (English)", in the reader's language."""
    return gettext("%(field)s (%(language)s)") % {
        "field": verbose_name,
        "language": get_language_info(language)["name_translated"],
    }


@cache
def _converter(variant: str):
    import opencc

    return opencc.OpenCC(variant)


def to_traditional(text: str | None) -> str:
    """Return ``text`` converted from simplified to traditional Chinese.

    OpenCC converts phrase by phrase in the variant of ORGPORTAL_TRADITIONAL_VARIANT: s2twp
    (Taiwan, the default), s2hk (Hong Kong) or s2t (characters only). Latin text stays as it is.
    """
    if not text:
        return ""
    return _converter(settings.ORGPORTAL_TRADITIONAL_VARIANT).convert(text)
