"""The translated texts of roles and duties (django-modeltranslation registers them here).

See departments/translation.py: the same convention holds for every model with texts.
"""

from modeltranslation.translator import TranslationOptions, register

from roles.models import Duty, Role


@register(Role)
class RoleTranslationOptions(TranslationOptions):
    fields = ("title", "summary")
    required_languages = {"zh-hans": ("title",), "default": ()}


@register(Duty)
class DutyTranslationOptions(TranslationOptions):
    fields = ("area", "text")
    required_languages = {"zh-hans": ("text",), "default": ()}
