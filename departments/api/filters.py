"""Query filters for the department API, and the filter types the other API modules share."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from departments.access import can_change
from departments.models import Department, subtree_q
from orgportal.i18n import columns

CODE_RE = re.compile(r"[-a-zA-Z0-9_]+")
TRUE_VALUES = frozenset({"true", "1", "yes", "on"})
FALSE_VALUES = frozenset({"false", "0", "no", "off"})


class StrictBooleanField(forms.Field):
    """A yes/no query value that refuses anything but true/false/1/0 instead of ignoring it."""

    default_error_messages = {"invalid": _("Enter true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CodeChoiceField(ModelChoiceField):
    """A choice of object by code that rejects malformed codes before asking the database."""

    def to_python(self, value):
        if value not in self.empty_values and not CODE_RE.fullmatch(str(value)):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ModelChoiceFilter):
    """Filter by the ``code`` of a related object; an unknown code is a 400 naming the filter."""

    field_class = CodeChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)


def readable(model, request):
    """Return the rows of ``model`` that the user of ``request`` may read through the API.

    Archived items (and everything below an archived department) are visible only to users
    who may change them, as on the pages. With no request (the schema) every row counts.
    """
    rows = model.objects.all()
    if request is None or can_change(request.user, model):
        return rows
    return rows.visible()


def readable_departments(request):
    return readable(Department, request)


def filter_active(queryset, name, value):
    """Keep what is visible to everyone (true) or what only editors see (false)."""
    if value is None:
        return queryset
    return queryset.visible() if value else queryset.hidden()


def search_q(value, fields):
    """Return a Q matching ``value`` as a case-insensitive substring of any of ``fields``."""
    query = Q()
    for field in fields:
        query |= Q(**{f"{field}__icontains": value})
    return query


class DepartmentFilter(django_filters.FilterSet):
    parent = CodeFilter(
        queryset=readable_departments,
        help_text=_("Only the direct sub-departments of the department with this code."),
    )
    under = CodeFilter(
        queryset=readable_departments,
        method="filter_under",
        help_text=_("The department with this code and every department below it."),
    )
    active = StrictBooleanFilter(
        method=filter_active,
        help_text=_(
            "true: only active departments with no archived department above them; "
            "false: the others (archived, or below an archived department)."
        ),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text=_(
            "Substring of the code, name, tagline, positioning or description, in any language."
        ),
    )

    class Meta:
        model = Department
        fields = ["parent", "under", "active", "search"]

    def filter_under(self, queryset, name, value):
        return queryset.filter(subtree_q(value))

    def filter_search(self, queryset, name, value):
        fields = ("code", *columns("name", "tagline", "positioning", "description"))
        return queryset.filter(search_q(value, fields))
