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

from functools import cache, lru_cache

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation import settings as mt_settings
from modeltranslation.fields import NONE, TranslationFieldDescriptor
from modeltranslation.thread_context import fallbacks_enabled
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname, resolution_order

from orgportal.i18n import CONTENT_LANGUAGES, column, to_traditional

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


def without_plain_columns(queryset):
    """Return ``queryset`` without loading the plain columns of translated fields (``name``).

    django-modeltranslation keeps them beside the language columns but never reads them, so
    pages that load many rows skip them. (Its own defer() would defer every language of a
    field; QuerySet.defer defers the plain column alone.)
    """
    return models.QuerySet.defer(queryset, *translated_fields(queryset.model))


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

    def __getstate__(self):
        # Cached trees pickle thousands of instances: not their loaded rows a second time.
        state = super().__getstate__()
        state.pop("_loaded_row", None)
        state.pop("_stored_traditional", None)
        return state

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
        # The row as loaded, kept as it came (pages load thousands of rows and save none):
        # an automatic traditional text that nobody changed follows its simplified text, one
        # that somebody changed becomes theirs (see stored_traditional).
        instance._loaded_row = (field_names, values)
        return instance

    @property
    def stored_traditional(self):
        """Return the traditional texts as they were loaded from the database.

        An instance restored from a cache counts the texts it holds as loaded.
        """
        if "_stored_traditional" not in self.__dict__:
            if "_loaded_row" in self.__dict__:
                field_names, values = self._loaded_row
                loaded = zip(field_names, values, strict=False)
            elif self._state.adding:
                loaded = ()
            else:
                loaded = ((name, getattr(self, name, None)) for name in self._traditional_columns())
            self._stored_traditional = {
                name: value for name, value in loaded if name.endswith("_zh_hant")
            }
        return self._stored_traditional

    @classmethod
    def _traditional_columns(cls):
        return [column(field, HANT) for field in translated_fields(cls)]

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        stored = self.stored_traditional
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        for field in translated_fields(type(self)):
            name = column(field, HANT)
            if fields is None or name in fields:
                stored[name] = getattr(self, name)

    refresh_from_db.alters_data = True

    def fill_traditional(self, only=None) -> list[str]:
        """Fill the traditional columns as the rules of the module say; return those it set.

        ``only`` limits the work to the fields named in a save's ``update_fields``.
        """
        automatic = set(self.zh_hant_auto or ())
        stored = self.stored_traditional
        touched = []
        for field in translated_fields(type(self)):
            source, target = column(field, HANS), column(field, HANT)
            if only is not None and not {field, source, target} & only:
                continue
            # An empty text is "", as forms, the API and files write it, never NULL.
            for language in CONTENT_LANGUAGES:
                if getattr(self, column(field, language)) is None:
                    setattr(self, column(field, language), "")
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


class LocalizedTextDescriptor(TranslationFieldDescriptor):
    """modeltranslation's descriptor of a translated field (``department.name``), with the
    columns to read for each language worked out once instead of on every access.

    It returns what modeltranslation's returns: the first non-empty text in the active
    language's fallback order, else the field's default. A chart reads it thousands of times
    per page, where modeltranslation's own costs as much as the rest of the page's Python.
    """

    def __get__(self, instance, owner):
        if instance is None:
            return self
        if not fallbacks_enabled() or self.fallback_undefined is not NONE:
            return super().__get__(instance, owner)
        loaded = instance.__dict__
        for name in _columns_to_read(self.field.name, get_language(), self.fallback_languages):
            value = loaded[name] if name in loaded else getattr(instance, name, None)
            if value is not None and value != "":
                return value
        if self.fallback_value is not NONE:
            return self.fallback_value
        return self.field.get_default()


@lru_cache(maxsize=256)
def _columns_to_read(field, language, fallback_languages):
    # modeltranslation.utils.get_language(), for a given language.
    if language not in mt_settings.AVAILABLE_LANGUAGES and language and "-" in language:
        language = language.split("-")[0]
    if language not in mt_settings.AVAILABLE_LANGUAGES:
        language = mt_settings.DEFAULT_LANGUAGE
    return tuple(
        build_localized_fieldname(field, lang)
        for lang in resolution_order(language, dict(fallback_languages or {}))
    )


def speed_up_descriptors():
    """Give every registered translated field the LocalizedTextDescriptor (at start-up)."""
    for model in translator.get_registered_models(abstract=False):
        for field in translated_fields(model):
            descriptor = model.__dict__.get(field)
            if type(descriptor) is TranslationFieldDescriptor:
                if isinstance(descriptor.fallback_languages, dict):
                    descriptor.fallback_languages = _Hashable(descriptor.fallback_languages)
                descriptor.__class__ = LocalizedTextDescriptor


class _Hashable(dict):
    """The fallback languages of a descriptor, usable as a key of _columns_to_read's cache."""

    def __hash__(self):
        return hash(tuple(sorted(self.items())))
