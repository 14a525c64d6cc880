"""Models whose texts are translated: the traditional columns filled, and which are automatic.

A model registers its user-facing texts with django-modeltranslation in its app's
``translation.py`` and inherits from ``TranslatedModel``. Then every save, whoever makes it
(the admin, the API, an import, the shell), keeps each traditional column filled:

- a traditional text that HR wrote by hand is kept and always wins;
- where it is empty, the column gets OpenCC's conversion of the simplified text, and the field
  is listed in ``zh_hant_auto``; an automatic text follows the simplified text when that
  changes, until somebody writes a traditional text of their own;
- a traditional text equal to the conversion is automatic too: it says nothing of its own.

So every language reads from columns alone (no conversion per request, and ``values()`` rows
carry every language), and exports write only the hand-written traditional texts.
"""

from functools import cache

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator

from orgportal.i18n import column, to_traditional

HANS = "zh-hans"
HANT = "zh-hant"


@cache
def translated_fields(model) -> tuple[str, ...]:
    """Return the names of the fields of ``model`` registered for translation, in model order."""
    try:
        registered = set(translator.get_options_for_model(model).get_field_names())
    except NotRegistered:
        return ()
    return tuple(field.name for field in model._meta.concrete_fields if field.name in registered)


def missing_english_q(model, prefix: str = "") -> Q:
    """Return a Q for rows of ``model`` with a simplified text whose English is still empty."""
    condition = Q()
    for field in translated_fields(model):
        source = f"{prefix}{column(field, HANS)}"
        english = f"{prefix}{column(field, 'en')}"
        has_source = ~Q(**{source: ""}) & Q(**{f"{source}__isnull": False})
        no_english = Q(**{english: ""}) | Q(**{f"{english}__isnull": True})
        condition |= has_source & no_english
    return condition


class TranslatedModel(models.Model):
    """Keep the traditional column of every translated field filled (see the module)."""

    zh_hant_auto = models.JSONField(
        _("automatic traditional texts"),
        default=list,
        blank=True,
        editable=False,
        help_text=_(
            "The fields whose traditional Chinese text is converted automatically from the "
            "simplified text."
        ),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            touched = self.fill_traditional(only=set(update_fields))
            if touched:
                kwargs["update_fields"] = {*update_fields, *touched, "zh_hant_auto"}
        else:
            self.fill_traditional()
        super().save(*args, **kwargs)
        self._stored_traditional = {
            column(field, HANT): getattr(self, column(field, HANT))
            for field in translated_fields(type(self))
        }

    save.alters_data = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The traditional texts as loaded: an automatic text that nobody changed follows its
        # simplified text, one that somebody changed becomes theirs.
        instance._stored_traditional = {
            name: value
            for name, value in zip(field_names, values, strict=True)
            if name.endswith("_zh_hant")
        }
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        stored = getattr(self, "_stored_traditional", {})
        for field in translated_fields(type(self)):
            name = column(field, HANT)
            if fields is None or name in fields:
                stored[name] = getattr(self, name)
        self._stored_traditional = stored

    refresh_from_db.alters_data = True

    def fill_traditional(self, only=None) -> list[str]:
        """Fill the traditional columns as the rules of the module say; return those it set.

        ``only`` limits the work to the fields named in a save's ``update_fields``.
        """
        automatic = set(self.zh_hant_auto or ())
        stored = getattr(self, "_stored_traditional", {})
        touched = []
        for field in translated_fields(type(self)):
            source, target = column(field, HANS), column(field, HANT)
            if only is not None and not {field, source, target} & only:
                continue
            converted = to_traditional(getattr(self, source))
            text = getattr(self, target) or ""
            untouched_automatic = field in automatic and text == (stored.get(target) or "")
            if not text or text == converted or untouched_automatic:
                setattr(self, target, converted)
                automatic.add(field)
            else:
                automatic.discard(field)
            touched.append(target)
        self.zh_hant_auto = sorted(automatic)
        return touched

    def traditional_by_hand(self, field: str) -> str:
        """Return the traditional text of ``field`` that HR wrote, or "" when it is automatic."""
        if field in (self.zh_hant_auto or ()):
            return ""
        return getattr(self, column(field, HANT)) or ""


def copy_into_language_columns(model, fields, batch_size=1000):
    """Fill the new language columns of existing rows of a historical ``model`` (a migration).

    The texts so far were simplified Chinese: each goes into its ``_zh_hans`` column, and the
    ``_zh_hant`` column gets its automatic conversion. English columns that existed before
    (name_en, title_en) are the same columns as now and keep their texts.
    """
    rows = []
    for row in model._base_manager.order_by("pk").iterator(chunk_size=batch_size):
        automatic = []
        for field in fields:
            text = getattr(row, field) or ""
            setattr(row, column(field, HANS), text)
            setattr(row, column(field, HANT), to_traditional(text))
            automatic.append(field)
        row.zh_hant_auto = automatic
        rows.append(row)
        if len(rows) >= batch_size:
            _bulk_update(model, rows, fields)
            rows = []
    _bulk_update(model, rows, fields)


def copy_back_from_language_columns(model, fields, batch_size=1000):
    """Undo copy_into_language_columns: the simplified texts go back into the plain columns."""
    rows = []
    for row in model._base_manager.order_by("pk").iterator(chunk_size=batch_size):
        for field in fields:
            setattr(row, field, getattr(row, column(field, HANS)) or "")
            english = column(field, "en")
            if hasattr(row, english) and getattr(row, english) is None:
                setattr(row, english, "")
        rows.append(row)
    names = [*fields, *(column(field, "en") for field in fields)]
    model._base_manager.bulk_update(rows, names, batch_size=batch_size)


def _bulk_update(model, rows, fields):
    if rows:
        names = [column(field, language) for field in fields for language in (HANS, HANT)]
        model._base_manager.bulk_update(rows, [*names, "zh_hant_auto"])
