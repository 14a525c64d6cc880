"""Template helpers for translated content: a text's other language, and language labels."""

from django import template

from orgportal.i18n import LANG_ATTRIBUTES, SOURCE_LANGUAGE, column, content_language

register = template.Library()

# Short labels of the language switch on narrow screens: "ZH" would not tell the two Chinese
# scripts apart.
SHORT_LABELS = {"zh-hans": "简", "en": "EN", "zh-hant": "繁"}


@register.simple_tag(takes_context=True)
def other_language(context, obj, field):
    """Return ``{"text", "lang"}`` of the text to show beside ``field`` of ``obj``, or None.

    In English that is the original simplified Chinese; in Chinese, the English text. Nothing
    when it is missing or the same as the text shown (an English page falls back to Chinese).
    """
    language = content_language()
    other = SOURCE_LANGUAGE if language == "en" else "en"
    text = getattr(obj, column(field, other), None) or ""
    if not text or text == getattr(obj, field):
        return None
    return {"text": text, "lang": LANG_ATTRIBUTES[other]}


@register.filter
def language_short(code):
    """Return the short label of a UI language for the language switch: 简, EN, 繁."""
    return SHORT_LABELS.get(code, code[:2].upper())


@register.filter
def lang_attribute(code):
    """Return the ``lang`` attribute value of a UI language: zh-Hans, en, zh-Hant."""
    return LANG_ATTRIBUTES.get(code, code)
