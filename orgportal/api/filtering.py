"""List filters that refuse what they would otherwise ignore: an unknown query parameter, or a
filter given with no value (``?parent=``), which django-filter reads as no filter at all and
answers with the whole list."""

from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from orgportal.api.language import LANG_PARAMETER


def refuse_unknown_parameters(request, known):
    """Raise a 400 naming each query parameter of ``request`` that is not in ``known``."""
    errors = unknown_parameters(request, known)
    if errors:
        raise ValidationError(errors)


def unknown_parameters(request, known):
    """Return {name: [message]} for each query parameter of ``request`` not in ``known``.

    ``?lang=`` and ``?format=`` are known everywhere.
    """
    known = {*known, LANG_PARAMETER, api_settings.URL_FORMAT_OVERRIDE} - {None}
    unknown = [name for name in request.query_params if name not in known]
    if not unknown:
        return {}
    message = gettext("Unknown query parameter. Known here: %s.") % ", ".join(sorted(known))
    return {name: [message] for name in unknown}


# A text search matches everything when empty, as a search box left empty does.
MAY_BE_EMPTY = frozenset({"search"})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, with an unknown parameter or a filter without a value a 400
    naming it, together with the filters' own errors.

    A text search (``?search=``) may be empty: it then matches everything, which is what it
    says. Pagination's parameters are known wherever the list is paginated.
    """

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        known = set(filterset.form.fields)
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            known |= {
                getattr(paginator, "page_query_param", None),
                getattr(paginator, "page_size_query_param", None),
            }
        errors = unknown_parameters(request, known)
        errors |= {
            name: [gettext("Give a value, or leave the parameter out.")]
            for name in filterset.form.fields
            if name not in MAY_BE_EMPTY
            and name in request.query_params
            and not request.query_params[name].strip()
        }
        if not filterset.is_valid():
            errors = {**translate_validation(filterset.errors).detail, **errors}
        if errors:
            raise ValidationError(errors)
        return filterset.qs
