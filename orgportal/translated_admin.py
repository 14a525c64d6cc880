"""The admin's pieces for translated models: forms that show automatic texts as automatic, and
the "missing English" filter.

Every language of an object is edited on its one page, in one group of fields per language
(see the model admins' fieldsets). modeltranslation's tabbed admin is not used: it loads jQuery
UI from a CDN, which the content security policy and the portal's no-CDN rule refuse, and
grouped fields need no script at all.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from orgportal.i18n import column
from orgportal.translated import missing_english_q, translated_fields

HANT = "zh-hant"


class TranslatedAdminForm(forms.ModelForm):
    """Show an automatic traditional text as the placeholder of an empty field.

    Left empty, the field stays automatic (the save converts the simplified text again);
    whatever HR type there is theirs and always wins.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        automatic = set(getattr(self.instance, "zh_hant_auto", None) or ())
        for field in translated_fields(type(self.instance)):
            name = column(field, HANT)
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            if field in automatic and self.instance.pk is not None:
                conversion = getattr(self.instance, name) or ""
                self.initial[name] = ""
                if conversion:
                    widget.attrs["placeholder"] = conversion
            self.fields[name].help_text = _(
                "Empty: converted automatically from the simplified Chinese text (shown in grey). "
                "A text written here is kept as it is."
            )


class MissingEnglishFilter(admin.SimpleListFilter):
    """List the objects that have a Chinese text without its English translation, or those that
    have every English text."""

    title = _("English translation")
    parameter_name = "english"

    def lookups(self, request, model_admin):
        return [("missing", _("Missing English")), ("complete", _("Complete"))]

    def missing_q(self, model):
        return missing_english_q(model)

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(self.missing_q(queryset.model))
        if self.value() == "complete":
            return queryset.exclude(self.missing_q(queryset.model))
        return queryset


def language_fieldsets(fields):
    """Return one admin fieldset per content language with that language's columns of
    ``fields``; the traditional one says how its automatic texts work."""
    return (
        (_("Simplified Chinese"), {"fields": [column(field, "zh-hans") for field in fields]}),
        (_("English"), {"fields": [column(field, "en") for field in fields]}),
        (
            _("Traditional Chinese"),
            {
                "fields": [column(field, HANT) for field in fields],
                "description": _(
                    "Fields left empty show an automatic conversion of the simplified Chinese "
                    "text; a text written here is kept as it is."
                ),
            },
        ),
    )
