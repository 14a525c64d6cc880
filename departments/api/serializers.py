"""Serializers of the department API: departments, the nested tree and moves."""

import copy
from collections.abc import Mapping
from types import SimpleNamespace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.functional import lazy
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _
from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.utils import encoders, html, json

from departments.api.filters import CODE_RE
from departments.models import ONE_ROOT, POSITIONS, Department
from departments.services import department_move
from orgportal.i18n import CONTENT_LANGUAGES, SOURCE_LANGUAGE, column, content_language
from orgportal.translated import translated_fields

POSITION_CHOICES = [
    ("first-child", _("first child of the target")),
    ("last-child", _("last child of the target")),
    ("left", _("just before the target, as its sibling")),
    ("right", _("just after the target, as its sibling")),
]
assert [value for value, _label in POSITION_CHOICES] == list(POSITIONS)


@extend_schema_field({"type": "string", "pattern": f"^{CODE_RE.pattern}$", "maxLength": 64})
class CodeRelatedField(serializers.SlugRelatedField):
    """A related object given by its code; a malformed code never reaches the database.

    An empty string is refused, not taken for null as DRF does for HTML forms.
    """

    default_error_messages = {"blank": _("Give a code (or null where none is allowed).")}

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        # Query parameters: DRF skips an empty ?root=, as if it were not there.
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not CODE_RE.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:100])
        return super().to_internal_value(data)


class StrictTypeMixin:
    """Refuse a JSON value of another type instead of converting it (12345 is not text)."""

    accepted_types = ()

    def to_internal_value(self, data):
        if isinstance(data, bool) != (bool in self.accepted_types) or not isinstance(
            data, self.accepted_types
        ):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    accepted_types = (str,)


class StrictSlugField(StrictTypeMixin, serializers.SlugField):
    accepted_types = (str,)


class StrictIntegerField(StrictTypeMixin, serializers.IntegerField):
    accepted_types = (int,)


class StrictBooleanField(StrictTypeMixin, serializers.BooleanField):
    accepted_types = (bool,)


UNKNOWN_FIELD = _("Unknown field.")
READ_ONLY_FIELD = _("This field is read-only.")


class KnownFieldsMixin:
    """Refuse a body with a key that is no writable field, instead of dropping it unread.

    An unknown key (a misspelt ``nmae_en``) is "Unknown field."; a read-only one (``level``,
    a role's ``duties``) is "This field is read-only." unless it holds the value the API
    answers for it now, so that an answer sent back with changes (GET, then PUT) still works
    and nothing the client sent is lost. Checked in ``to_internal_value`` so that a nested
    serializer's keys are placed too (``members[0].alocation``), with every other error.
    """

    def to_internal_value(self, data):
        errors = self.unwritable_fields(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if errors and isinstance(error.detail, Mapping):
                raise serializers.ValidationError({**error.detail, **errors}) from error
            raise
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def unwritable_fields(self, data):
        """Return an error for each key of ``data`` that writing would leave unread."""
        fields = self.fields
        errors = {}
        current = None
        for name in data:
            field = fields.get(name)
            if field is None:
                errors[name] = [UNKNOWN_FIELD]
            elif field.read_only:
                if current is None:
                    current = self.current_representation(data)
                if name not in current or _as_json(data[name]) != _as_json(current[name]):
                    errors[name] = [READ_ONLY_FIELD]
        return errors

    def current_representation(self, data):
        """Return the answer for the object ``data`` writes to, {} when it is a new one."""
        instance = self.current_instance(data)
        return {} if instance is None else self.to_representation(instance)

    def current_instance(self, data):
        """Return the object ``data`` writes to, or None for a new one."""
        instance = getattr(self, "instance", None)
        return instance if isinstance(instance, models.Model) else None


def _as_json(value):
    """Return ``value`` as the JSON parser would give it, so that answers compare with bodies."""
    return json.loads(json.dumps(value, cls=encoders.JSONEncoder))


# The fields ModelSerializer builds for each serializer class and language (see get_fields).
_FIELD_PROTOTYPES = {}


class StrictModelSerializer(KnownFieldsMixin, serializers.ModelSerializer):
    """A model serializer whose text, number and yes/no fields take only JSON of that type,
    and that refuses keys it would not write (see KnownFieldsMixin)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.IntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.PositiveBigIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
    }

    def get_fields(self):
        """Return ModelSerializer's fields, built once per class and language, then copied.

        Building them inspects every model field and translates every label, a quarter of a
        detail request's time. They depend only on the class and the language (labels), and
        each serializer gets copies made the way DRF copies declared fields (each field made
        again from its arguments), so nothing is shared between requests but validators.
        """
        key = (type(self), get_language())
        prototype = _FIELD_PROTOTYPES.get(key)
        if prototype is None:
            prototype = _FIELD_PROTOTYPES[key] = super().get_fields()
        return copy.deepcopy(prototype)


def with_languages(*fields):
    """Return API field names for translated ``fields``: each in the request's language, then
    each language's own column (name, name_zh_hans, name_en, name_zh_hant, …)."""
    return [
        name
        for field in fields
        for name in (field, *(column(field, lang) for lang in CONTENT_LANGUAGES))
    ]


def _language_name(language):
    return get_language_info(language)["name_translated"]


def _describe_text(label):
    return _(
        "The %(label)s in the request's language (Accept-Language or ?lang=), falling back to "
        "simplified Chinese. Writing it writes the text of that language."
    ) % {"label": label}


def _describe_column(label, language):
    if language == SOURCE_LANGUAGE:
        text = _(
            "The %(label)s in simplified Chinese: the source text, which the others fall back to."
        )
    elif language == "en":
        text = _("The %(label)s in English; empty while there is none.")
    else:
        text = _(
            "The %(label)s in traditional Chinese: converted automatically from the simplified "
            'text unless written by hand (see zh_hant_auto); writing "" returns it to the '
            "automatic conversion."
        )
    return text % {"label": label}


describe_text = lazy(_describe_text, str)
describe_column = lazy(_describe_column, str)


ZH_HANT_AUTO_HELP = _(
    "The translated fields whose traditional Chinese text is an automatic conversion of the "
    "simplified text (nobody wrote one by hand)."
)


class TranslatedFieldsMixin:
    """Serialize translated texts: ``name`` in the request's language with fallback, and every
    language's ``name_zh_hans``, ``name_en``, ``name_zh_hant``; all of them writable.

    A write of ``name`` goes to the request's language (django-modeltranslation's field);
    given beside that language's own field (``name_zh_hans`` in a simplified Chinese request)
    it must hold the same text, or both are refused, so neither is lost. Empty texts read as
    "", never null. A new object needs its required texts (a department's name) in simplified
    Chinese. ``zh_hant_auto``, where the serializer lists it, is the read-only list of
    automatic traditional texts.
    """

    def get_fields(self):
        fields = super().get_fields()
        if "zh_hant_auto" in fields:
            fields["zh_hant_auto"] = serializers.ListField(
                child=serializers.CharField(), read_only=True, help_text=ZH_HANT_AUTO_HELP
            )
        model = self.Meta.model
        for field in translated_fields(model):
            if field not in fields or fields[field].read_only:
                continue
            label = model._meta.get_field(field).verbose_name
            fields[field].required = False
            fields[field].help_text = describe_text(label)
            for language in CONTENT_LANGUAGES:
                name = column(field, language)
                if name in fields:
                    fields[name].allow_null = False
                    fields[name].help_text = describe_column(label, language)
        return fields

    def to_internal_value(self, data):
        """Validate the fields, and on creation that the required texts have their simplified
        Chinese; report every error at once."""
        errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors, value = dict(error.detail), None
        if isinstance(data, Mapping):
            errors.update(
                (field, message)
                for field, message in self.conflicting_texts(data).items()
                if field not in errors
            )
        if self.instance is None and isinstance(data, Mapping):
            errors.update(
                (field, message)
                for field, message in self.missing_source_texts(data).items()
                if field not in errors
            )
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def conflicting_texts(self, data):
        """Return errors on both ``name`` and the request language's ``name_<language>`` where
        ``data`` gives both with different texts."""
        language = content_language()
        conflicts = {}
        for field in translated_fields(self.Meta.model):
            own = column(field, language)
            if field not in data or own not in data or field not in self.fields:
                continue
            given, named = data[field], data[own]
            if not isinstance(given, str) or not isinstance(named, str):
                continue  # The wrong type is the field's own error.
            if getattr(self.fields[field], "trim_whitespace", False):
                given, named = given.strip(), named.strip()
            if given == named:
                continue
            message = _(
                "%(field)s and %(column)s are both in this request's language but hold "
                "different texts: give one of them, or the same text in both."
            ) % {"field": field, "column": own}
            conflicts[field] = [message]
            conflicts[own] = [message]
        return conflicts

    def missing_source_texts(self, data):
        """Return an error for each required text without its simplified Chinese in ``data``."""
        model = self.Meta.model
        missing = {}
        for field in translated_fields(model):
            if model._meta.get_field(field).blank or field not in self.fields:
                continue
            source = column(field, SOURCE_LANGUAGE)
            given = data.get(source)
            if not given and content_language() == SOURCE_LANGUAGE:
                given = data.get(field)
            if not given:
                missing[field] = [
                    _(
                        "Give the text in simplified Chinese: %(source)s, or %(field)s in a "
                        "simplified Chinese request."
                    )
                    % {"source": source, "field": field}
                ]
        return missing

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for field in translated_fields(self.Meta.model):
            for name in (field, *(column(field, language) for language in CONTENT_LANGUAGES)):
                if name in data and data[name] is None:
                    data[name] = ""
        return data


class CodeURLField(serializers.HyperlinkedIdentityField):
    """The URL of an object by its code, reversed once per response and filled in for each.

    A tree answer holds thousands of URLs; reversing each one would dominate its time.
    """

    MARK = "__code__"

    def __init__(self, view_name, **kwargs):
        super().__init__(view_name=view_name, lookup_field="code", **kwargs)

    def get_url(self, obj, view_name, request, format):
        templates = self.context.setdefault("url_templates", {})
        key = (view_name, format)
        if key not in templates:
            templates[key] = super().get_url(
                SimpleNamespace(code=self.MARK), view_name, request, format
            )
        return templates[key].replace(self.MARK, obj.code)


DEPARTMENT_EXAMPLE = {
    "code": "digital-operations",
    "url": "https://orgportal.example.com/api/v1/departments/digital-operations/",
    "name": "Digital Operations",
    "name_zh_hans": "数字运营部",
    "name_en": "Digital Operations",
    "name_zh_hant": "數字運營部",
    "tagline": "Converting traffic, cultivating channels in depth",
    "tagline_zh_hans": "流量转化,渠道深耕",
    "tagline_en": "Converting traffic, cultivating channels in depth",
    "tagline_zh_hant": "流量轉化,渠道深耕",
    "positioning": "Acquires and converts traffic and retains users through digital channels "
    "(search engines, social platforms, e-commerce platforms).",
    "positioning_zh_hans": (
        "通过数字渠道(搜索引擎、社交平台、电商平台)实现流量获取、转化与用户留存。"
    ),
    "positioning_en": "Acquires and converts traffic and retains users through digital channels "
    "(search engines, social platforms, e-commerce platforms).",
    "positioning_zh_hant": (
        "通過數字渠道(搜尋引擎、社交平臺、電商平臺)實現流量獲取、轉化與使用者留存。"
    ),
    "description": "",
    "description_zh_hans": "",
    "description_en": "",
    "description_zh_hant": "",
    "zh_hant_auto": ["description", "name", "positioning", "tagline"],
    "parent": "company",
    "is_active": True,
    "level": 1,
    "descendant_count": 0,
    "created_at": "2025-01-06T09:30:00+08:00",
    "updated_at": "2025-01-06T09:30:00+08:00",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "数字运营部, in English",
            value=DEPARTMENT_EXAMPLE,
            response_only=True,
            status_codes=["200", "201"],
        ),
        OpenApiExample(
            "New department under 数字运营部",
            value={
                "code": "live-commerce",
                "name_zh_hans": "直播电商组",
                "name_en": "Live Commerce",
                "tagline_zh_hans": "直播带货,即时转化",
                "parent": "digital-operations",
            },
            request_only=True,
        ),
    ]
)
class DepartmentSerializer(TranslatedFieldsMixin, StrictModelSerializer):
    """A department; ``parent`` is the parent's code (null only for the root)."""

    url = CodeURLField("api:department-detail")
    parent = CodeRelatedField(
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text=_(
            "Code of the parent department. Changing it moves the department (with its "
            "sub-departments) to the end of the new parent's children."
        ),
    )
    descendant_count = serializers.SerializerMethodField(
        help_text=_("How many departments are below this one, at any depth.")
    )

    class Meta:
        model = Department
        fields = [
            "code",
            "url",
            *with_languages("name", "tagline", "positioning", "description"),
            "zh_hant_auto",
            "parent",
            "is_active",
            "level",
            "descendant_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["level", "created_at", "updated_at"]
        extra_kwargs = {"level": {"help_text": _("Depth in the tree; the root is 0.")}}

    def get_descendant_count(self, department) -> int:
        return visible_descendant_count(department, self.context)

    def update(self, instance, validated_data):
        """Save the fields and move the department if its parent changed, all or nothing.

        A department being restored moves first and one being archived moves last, so that
        no step leaves an active department under an archived one.
        """
        missing = object()
        parent = validated_data.pop("parent", missing)
        move_first = validated_data.get("is_active") is True and not instance.is_active
        with transaction.atomic():
            if parent is not missing and move_first:
                _change_parent(instance, parent)
            instance = super().update(instance, validated_data)
            if parent is not missing and not move_first:
                _change_parent(instance, parent)
        return instance


def visible_descendant_count(department, context) -> int:
    """Return how many departments below ``department`` the reader of ``context`` may see."""
    count = department.get_descendant_count()
    hidden = context.get("hidden_departments")
    return count - hidden.count_below(department) if hidden is not None else count


def _change_parent(department, parent):
    """Move ``department`` under ``parent`` through the locked move, naming the field ``parent``."""
    if parent is None:
        if department.parent_id is not None:
            raise DjangoValidationError({"parent": ONE_ROOT})
        return
    if parent.pk == department.parent_id:
        return
    try:
        department_move(department=department, target=parent, position="last-child")
    except DjangoValidationError as error:
        raise DjangoValidationError({"parent": error.messages}) from error


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Move 数字运营部 to the end of 品牌与内容营销部",
            value={"target": "brand-content-marketing", "position": "last-child"},
            request_only=True,
        ),
        OpenApiExample(
            "Put 数字运营部 just before 市场调研与策略部",
            value={"target": "market-research-strategy", "position": "left"},
            request_only=True,
        ),
    ]
)
class DepartmentMoveSerializer(KnownFieldsMixin, serializers.Serializer):
    """Where to move a department: relative to the ``target`` department."""

    target = CodeRelatedField(
        queryset=Department.objects.all(),
        help_text=_("Code of the department the position is relative to."),
    )
    position = serializers.ChoiceField(
        choices=POSITION_CHOICES,
        help_text=_(
            "first-child / last-child: inside the target, first or last; "
            "left / right: beside the target, just before or after it."
        ),
    )


class DepartmentRoleSummarySerializer(serializers.Serializer):
    """A role in the department tree (the full role is at its ``url``)."""

    code = serializers.SlugField(read_only=True)
    url = CodeURLField("api:role-detail")
    title = serializers.CharField(
        read_only=True, help_text=_("The title in the request's language, with fallback.")
    )
    headcount = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Planned seats; null when not known.")
    )
    is_active = serializers.BooleanField(read_only=True)


class DepartmentTreeSerializer(serializers.ModelSerializer):
    """A department with its sub-departments nested in tree order.

    Its texts are in the request's language only (with fallback to simplified Chinese), so the
    whole organisation stays one small answer; each department's own endpoint has them all.
    """

    url = CodeURLField("api:department-detail")
    descendant_count = serializers.SerializerMethodField(
        help_text=_(
            "How many departments are below this one, at any depth; more than the nested "
            "children when the tree was cut off with depth."
        )
    )
    roles = serializers.SerializerMethodField(
        help_text=_("The department's roles in order, or null unless include_roles is set.")
    )
    children = serializers.SerializerMethodField(
        help_text=_("Sub-departments in tree order (empty below the requested depth).")
    )

    class Meta:
        model = Department
        fields = [
            "code",
            "url",
            "name",
            "tagline",
            "positioning",
            "description",
            "is_active",
            "level",
            "descendant_count",
            "roles",
            "children",
        ]
        read_only_fields = fields
        extra_kwargs = {
            field: {
                "help_text": _("In the request's language, falling back to simplified Chinese.")
            }
            for field in ("name", "tagline", "positioning", "description")
        }

    def get_descendant_count(self, department) -> int:
        return visible_descendant_count(department, self.context)

    @extend_schema_field(DepartmentRoleSummarySerializer(many=True, allow_null=True))
    def get_roles(self, department):
        if not self.context.get("include_roles"):
            return None
        serializer = self.context.setdefault(
            "role_summary_serializer", DepartmentRoleSummarySerializer(context=self.context)
        )
        return [serializer.to_representation(role) for role in department.tree_roles]

    @extend_schema_field(
        lazy_serializer("departments.api.serializers.DepartmentTreeSerializer")(many=True)
    )
    def get_children(self, department):
        # One serializer for the whole tree: building one per node would dominate the time.
        return [self.to_representation(child) for child in department.get_children()]


class DepartmentTreeQuerySerializer(serializers.Serializer):
    """The query parameters of the tree; ``departments`` are those the reader may see."""

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["root"].queryset = departments

    root = CodeRelatedField(
        queryset=Department.objects.all(),
        required=False,
        help_text=_("Code of the department at the top of the answer. Default: the company."),
    )
    depth = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=1000,
        help_text=_(
            "How many levels below the top to include (0: the top department alone). Default: all."
        ),
    )
    include_roles = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Include each department's roles (1 or true)."),
    )
