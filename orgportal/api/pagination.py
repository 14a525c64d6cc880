"""Page-number pagination whose parameters are validated, not silently ignored."""

from django.utils.translation import gettext
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class OrganisationPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        number = _positive_int(value)
        if number is None or number > self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        gettext("Enter a whole number from 1 to %d.") % self.max_page_size
                    ]
                }
            )
        return number

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is None:
            return 1
        if value in self.last_page_strings:
            return paginator.num_pages
        if _is_huge_number(value):
            # A number too long to be any page's: past the end, like any other.
            raise NotFound(gettext("Invalid page."))
        number = _positive_int(value)
        if number is None:
            raise ValidationError(
                {self.page_query_param: [gettext("Enter a whole number of 1 or more.")]}
            )
        return number

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"]["example"] = 19
        properties["next"]["example"] = "https://orgportal.example.com/api/v1/roles/?page=2"
        properties["previous"]["example"] = None
        response["required"] = ["count", "next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_query_param:
                parameter["description"] = gettext("The page number, from 1.")
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = gettext(
                    "Number of results per page (default %(default)d, at most %(max)d)."
                ) % {"default": self.page_size, "max": self.max_page_size}
        return parameters


def _is_huge_number(value):
    return value.isascii() and value.isdigit() and len(value) > 18 and value.strip("0") != ""


def _positive_int(value):
    """Return ``value`` as an integer of 1 or more, or None when it is not one."""
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    number = int(value)
    return number if number >= 1 else None
