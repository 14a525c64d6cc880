"""Moments in time as the portal reads them from ``as_of``, ``from`` and ``to``."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError as ApiValidationError


def parse_moment(value: str, *, start_of_day: bool = False) -> datetime.datetime:
    """Return the moment ``value`` names: a date or an ISO 8601 date-time.

    A date means the end of that day in the portal's time zone (the state that day ended
    with), or its start with ``start_of_day`` (where a range begins). A date-time without an
    offset is in the portal's time zone. Raise ValidationError for anything else.
    """
    value = (value or "").strip()
    try:
        day = parse_date(value)
        moment = None if day else parse_datetime(value.replace("z", "Z"))
    except ValueError:
        day = moment = None
    if day is not None:
        if start_of_day:
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
    if moment is None:
        raise ValidationError(
            gettext(
                "Enter a date (2026-06-01) or an ISO 8601 date-time (2026-06-01T09:00:00+08:00)."
            ),
            code="invalid",
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def is_date(value: str) -> bool:
    try:
        return parse_date((value or "").strip()) is not None
    except ValueError:
        return False


def as_of_context(request) -> dict:
    """Return the template context of ``?as_of=`` on a page: the moment (None without one, or
    when it is not a valid date), what was asked, and an error to show."""
    value = request.GET.get("as_of", "").strip()
    context = {"as_of": None, "as_of_value": value, "as_of_error": "", "as_of_date": None}
    if not value:
        return context
    try:
        moment = parse_moment(value)
    except ValidationError as error:
        context["as_of_error"] = error.messages[0]
        return context
    context["as_of"] = moment
    context["as_of_date"] = timezone.localtime(moment).date()
    return context


AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    str,
    OpenApiParameter.QUERY,
    description=_(
        "The organisation as it stood then, rebuilt from the history: a date (2026-06-01, "
        "the end of that day in the portal's time zone) or an ISO 8601 date-time "
        "(2026-06-01T09:00:00Z or with an offset; without one, the portal's time zone)."
    ),
)


def as_of_parameter(request):
    """Return the moment of ``?as_of=``, None without one; a bad value is a 400 naming it."""
    value = request.query_params.get("as_of")
    if value is None or value == "":
        return None
    try:
        return parse_moment(value)
    except ValidationError as error:
        raise ApiValidationError({"as_of": error.messages}) from error
