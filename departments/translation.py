"""The translated texts of departments (django-modeltranslation registers them here).

Each field gets a column per language: name_zh_hans (the source, required), name_en and
name_zh_hant. A model that registers fields here also inherits from
orgportal.translated.TranslatedModel, which keeps its traditional columns filled.
"""

from modeltranslation.translator import TranslationOptions, register

from departments.models import Department


@register(Department)
class DepartmentTranslationOptions(TranslationOptions):
    fields = ("name", "tagline", "positioning", "description")
    # The simplified Chinese name is required, as the name was before; the other texts, and
    # every text in English and traditional Chinese, may stay empty.
    required_languages = {"zh-hans": ("name",), "default": ()}
