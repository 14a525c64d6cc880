"""The OpenAPI contract: error responses, ETags and the API's description, added everywhere."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema_serializer
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    "400": _("Bad input: `error.fields` names each bad field or query parameter."),
    "401": _("No credentials, or a bad token: send `Authorization: Token <key>`."),
    "403": _("Authenticated, but without the permission this needs."),
    "404": _("No object with this code or id, or no such page."),
    "409": _("The current state of the organisation refuses the request."),
    "413": _("The body is larger than the portal accepts (2.5 MB)."),
    "415": _("The body is not JSON: send `Content-Type: application/json`."),
    "429": _("Too many requests: wait the seconds that `Retry-After` says, then try again."),
}
ETAG_HEADER = {
    "description": _("Identifies this version of the response; send it back in If-None-Match."),
    "schema": {"type": "string"},
}
LANG = OpenApiParameter(
    "lang",
    str,
    OpenApiParameter.QUERY,
    enum=["zh-hans", "en", "zh-hant"],
    description=_(
        "The language of the translated text fields (`name`, `tagline`, `title`, `text`, …), "
        "instead of the Accept-Language header's. Without either: simplified Chinese."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description=_("The ETag of a response you already have: unchanged, the answer is a 304."),
)

API_DESCRIPTION = _("""\
The organisation's departments, roles and duties, for other systems to read and keep in sync.

**Authentication.** Send a token: `Authorization: Token <key>`. An administrator prints a
user's token with `manage.py create_api_token USERNAME`. Browsers signed in to the portal use
their session (writes then need the `X-CSRFToken` header). Without credentials the answer is
401; without the permission, 403.

**Permissions.** Every signed-in user may read (anyone, when the portal runs with
`ORGPORTAL_PUBLIC_READ`). Writing needs the Django model permission for the object and action
(add, change, delete), which the `HR editors` group holds except delete. Moving a department
needs *change department*. The export needs view permission on departments, roles and duties.

**Identifiers.** Departments and roles are looked up by their stable `code`
(e.g. `digital-operations`, `seo-sem-specialist`); duties by `id`. Relations are given as codes
too. Unknown codes in the path are 404; in a body or a query parameter, a 400 naming the field.

**Input.** A key in a body that is no field of the object is a 400 naming it ("Unknown
field."), and so is a read-only field (`url`, `level`, `created_at`, a role's `duties`, …)
unless it holds the value the answer has now, so that an answer can be sent back with changes.
A refused request changes nothing.

**Errors.** Every error has one shape:
`{"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"target": ["…"]}}}`.
`fields` appears only on validation errors (400). `code` is stable: `invalid`,
`not_authenticated`, `authentication_failed`, `permission_denied`, `not_found`,
`method_not_allowed`, `parse_error`, `unsupported_media_type`, `protected` (409: a department
that still has sub-departments or roles cannot be deleted), `conflict` (409: a concurrent
change won; send the request again), `too_large` (413), `throttled` (429: wait `Retry-After`
seconds), `database_unavailable` and `cache_unavailable` (503).

**Archived items** (and everything below an archived department) are visible only to users
who may change them; for everyone else they answer 404 and lists leave them out.

**Languages.** Every text (a department's `name`, `tagline`, `positioning` and `description`, a
role's `title` and `summary`, a duty's `area` and `text`) comes in the language of the
`Accept-Language` header or of `?lang=` (`zh-hans`, `en`, `zh-hant`; default simplified
Chinese), falling back to simplified Chinese where that language has no text yet; the answer's
`Content-Language` says which. Each language's own text is there too, `name_zh_hans`, `name_en`
and `name_zh_hant`, and each is writable. Writing `name` writes the request's language; given
beside that language's own field (`name_zh_hans` in a simplified Chinese request), it must
hold the same text, or both are a 400. The traditional texts are converted
automatically from the simplified ones wherever nobody wrote one (`zh_hant_auto` lists those
fields); writing a traditional text makes it yours, writing "" gives it back to the conversion.

**Lists** are paginated: `?page=2&page_size=100` (at most 500), answered as
`{"count", "next", "previous", "results"}`. The tree is not paginated.

**Conditional requests.** Every GET answer has an `ETag`; send it back in `If-None-Match` and an
unchanged resource answers 304 without a body.

**Common tasks.** The whole organisation: `GET /api/v1/departments/tree/?include_roles=1`. The
roles under 数字运营部 and its sub-departments: `GET /api/v1/roles/?under=digital-operations`.
Move a department: `POST /api/v1/departments/{code}/move/` with
`{"target": "<code>", "position": "first-child" | "last-child" | "left" | "right"}`.
""")


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text=_("The HTTP status code."))
    code = serializers.CharField(
        help_text=_("A stable machine-readable reason, such as invalid or not_found.")
    )
    message = serializers.CharField(help_text=_("What went wrong, for people."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Validation errors only: the messages for each bad field or parameter."),
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A move into its own subtree",
            value={
                "error": {
                    "status": 400,
                    "code": "invalid",
                    "message": "Invalid input.",
                    "fields": {
                        "target": [
                            "A department cannot be moved into itself or one of its own "
                            "sub-departments."
                        ]
                    },
                }
            },
            status_codes=["400"],
        ),
        OpenApiExample(
            "No token",
            value={
                "error": {
                    "status": 401,
                    "code": "not_authenticated",
                    "message": "Authentication credentials were not provided.",
                }
            },
            status_codes=["401"],
        ),
        OpenApiExample(
            "A department that still has roles",
            value={
                "error": {
                    "status": 409,
                    "code": "protected",
                    "message": "Department “数字运营部” cannot be deleted: it still has 3 roles. "
                    "Move them elsewhere or archive the department instead.",
                }
            },
            status_codes=["409"],
        ),
    ]
)
class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    error = ErrorDetailSerializer()


class OrganisationAutoSchema(AutoSchema):
    """Describe the error responses, ETags and Location headers every operation shares."""

    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), LANG]
        if self.method == "GET":
            parameters = [*parameters, IF_NONE_MATCH]
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        locations = {parameter["in"] for parameter in operation.get("parameters", [])}
        errors = {"401", "403", "429"}
        if "path" in locations:
            errors.add("404")
        if "query" in locations or "requestBody" in operation:
            errors.add("400")
        if any(parameter["name"] == "page" for parameter in operation.get("parameters", [])):
            errors.add("404")
        if "requestBody" in operation:
            errors.update(("413", "415"))
        for status in errors:
            responses.setdefault(status, {})
        error_schema = self.resolve_serializer(ErrorSerializer, "response").ref
        for status, response in responses.items():
            if status.startswith("4"):
                response.setdefault("content", {"application/json": {"schema": error_schema}})
                if not response.get("description"):
                    response["description"] = ERROR_DESCRIPTIONS.get(status, "")
        if "401" in responses:
            responses["401"].setdefault("headers", {})["WWW-Authenticate"] = {
                "description": _("`Token`: the scheme to authenticate with."),
                "schema": {"type": "string"},
            }
        if self.method == "GET":
            if "200" in responses:
                responses["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
            responses["304"] = {
                "description": _("Not modified: the ETag in If-None-Match is still current."),
                "headers": {"ETag": ETAG_HEADER},
            }
        if "201" in responses:
            responses["201"].setdefault("headers", {})["Location"] = {
                "description": _("The URL of the new object."),
                "schema": {"type": "string", "format": "uri"},
            }
        operation["responses"] = dict(sorted(responses.items()))
        return operation


class DescribedDjangoFilterExtension(DjangoFilterExtension):
    """Keep a filter's help text as its description even when its type is overridden."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
        return parameters


def describe_api(result, generator, request, public):
    """Put the API's long description into the schema (a drf-spectacular postprocessing hook)."""
    result["info"]["description"] = API_DESCRIPTION
    return result
