"""The department API: CRUD by code, the nested tree, ancestors and descendants, and moves."""

from bisect import bisect_left, bisect_right
from types import SimpleNamespace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import set_response_etag
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from mptt.exceptions import InvalidMove
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from departments.access import can_change
from departments.api.filters import CODE_RE, DepartmentFilter, readable
from departments.api.serializers import (
    DEPARTMENT_EXAMPLE,
    DepartmentMoveSerializer,
    DepartmentSerializer,
    DepartmentTreeQuerySerializer,
    DepartmentTreeSerializer,
)
from departments.models import Department
from departments.services import department_move
from departments.tree import text_columns
from orgportal.api.viewsets import ConditionalGetMixin, ReadsOutsideTransactionMixin
from orgportal.cache import org_cached
from orgportal.changes.moments import AS_OF_PARAMETER, as_of_parameter
from orgportal.conditional import org_not_modified, request_org_state, set_org_validators
from orgportal.i18n import column, fallback_order

CODE_PARAMETER = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    pattern=f"^{CODE_RE.pattern}$",
    description=_("The department's code."),
    examples=[OpenApiExample("数字运营部", value="digital-operations")],
)
TREE_EXAMPLE = {
    "code": "company",
    "url": "https://orgportal.example.com/api/v1/departments/company/",
    "name": "互联网营销企业",
    "tagline": "",
    "positioning": "",
    "description": "",
    "is_active": True,
    "level": 0,
    "descendant_count": 8,
    "roles": None,
    "children": [
        {
            **{key: DEPARTMENT_EXAMPLE[key] for key in DepartmentTreeSerializer.Meta.fields[:-2]},
            "name": "数字运营部",
            "tagline": "流量转化,渠道深耕",
            "positioning": (
                "通过数字渠道(搜索引擎、社交平台、电商平台)实现流量获取、转化与用户留存。"
            ),
            "roles": None,
            "children": [],
        }
    ],
}


class LookupWithoutFiltersMixin:
    """Look objects up by their key without the list's filters.

    A list's filters (``?under=``, ``?search=``, …) choose among many objects; applied to a
    lookup by code they only cost: building a filter set copies every filter and makes a form,
    a fifth of a detail request's time.
    """

    def filter_queryset(self, queryset):
        if (self.lookup_url_kwarg or self.lookup_field) in self.kwargs:
            return queryset
        return super().filter_queryset(queryset)


@extend_schema_view(
    list=extend_schema(
        summary=_("List departments"),
        description=_("Departments in tree order (each parent before its children), paginated."),
    ),
    create=extend_schema(
        summary=_("Create a department"),
        description=_(
            "Adds the department as the last child of `parent`. The organisation has one root, "
            "so `parent` is required once the root exists. The answer's `Location` header is "
            "the new department's URL."
        ),
    ),
    retrieve=extend_schema(summary=_("Get a department"), parameters=[CODE_PARAMETER]),
    update=extend_schema(
        summary=_("Replace a department"),
        description=_(
            "A different `parent` moves the department with its sub-departments to the end of "
            "the new parent's children, with the same checks as the move endpoint."
        ),
        parameters=[CODE_PARAMETER],
    ),
    partial_update=extend_schema(
        summary=_("Change a department"),
        description=_(
            "A different `parent` moves the department with its sub-departments to the end of "
            "the new parent's children, with the same checks as the move endpoint."
        ),
        parameters=[CODE_PARAMETER],
    ),
    destroy=extend_schema(
        summary=_("Delete a department"),
        description=_(
            "Refused with 409 while the department has sub-departments or roles; the message "
            "says which. Archive it instead (PATCH `is_active: false`)."
        ),
        parameters=[CODE_PARAMETER],
        responses={
            204: OpenApiResponse(description=_("Deleted.")),
            409: OpenApiResponse(
                description=_("The department still has sub-departments or roles.")
            ),
        },
    ),
)
class DepartmentViewSet(
    ConditionalGetMixin,
    ReadsOutsideTransactionMixin,
    LookupWithoutFiltersMixin,
    viewsets.ModelViewSet,
):
    """Departments, looked up by code."""

    queryset = Department.objects.select_related("parent")
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    # Set per action: the model permissions an unsafe request needs (default: by method).
    required_model_permissions = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        # departments/tree/ is also where a department coded "tree" would be. That code is
        # reserved, so a write there finds no department, as for any unknown code.
        if set(self.action_map.values()) == {"tree"} and request.method in (
            "PUT",
            "PATCH",
            "DELETE",
        ):
            raise NotFound(gettext("No department has the code “tree”: it is reserved."))
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_queryset(self):
        """Return the departments the user may read: those below an archived one only to
        users who may change departments."""
        return readable(Department, self.request).select_related("parent")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not can_change(self.request.user, Department):
            context["hidden_departments"] = HiddenDepartments()
        return context

    def retrieve(self, request, *args, **kwargs):
        # Answered from rendered bytes kept per organisation version (not a docstring: the
        # API's schema would show it); see detail_cache_name(). A hit costs a cache read: no
        # query for the department, no serializer. The version comes with the token (one
        # query, orgportal.api.authentication), so the next request after a change sees it.
        # The most common hits are answered before this view, by orgportal.api.shortcut.
        code = kwargs[self.lookup_url_kwarg or self.lookup_field]
        renderer = request.accepted_renderer

        def render():
            data = self.get_serializer(self.get_object()).data
            content_type = renderer.media_type
            if renderer.charset:
                content_type = f"{content_type}; charset={renderer.charset}"
            body = renderer.render(data, request.accepted_media_type, self.get_renderer_context())
            return body, content_type, body_etag(body)

        name = detail_cache_name(request, code, renderer.format)
        body, content_type, etag = org_cached(
            name, render, version=request_org_state(request)[0], alias="responses"
        )
        response = HttpResponse(body, content_type=content_type)
        if etag:
            # What ConditionalGetMixin would work out from the body, kept with it.
            response.headers["ETag"] = etag
        return response

    @extend_schema(
        operation_id="departments_tree",
        summary=_("The department tree"),
        description=_(
            "The organisation as one nested object, from the company (or `root`) down, in tree "
            "order. Not paginated. `depth` cuts it off; `descendant_count` still tells how many "
            "departments are below each one."
        ),
        parameters=[DepartmentTreeQuerySerializer, AS_OF_PARAMETER],
        responses={
            200: DepartmentTreeSerializer,
            404: OpenApiResponse(description=_("The organisation has no departments yet.")),
        },
        examples=[OpenApiExample("The company", value=TREE_EXAMPLE, response_only=True)],
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def tree(self, request):
        if request.query_params.get("as_of"):
            return self.tree_as_of(request)
        # Answered from the organisation version before anything is loaded: the same version,
        # query, language, reader and format give the same tree.
        not_modified = org_not_modified(
            request, *tree_conditional_parts(request, request.accepted_renderer.format)
        )
        if not_modified is not None:
            return not_modified
        nodes = readable(Department, request)
        query = DepartmentTreeQuerySerializer(data=request.query_params, departments=nodes)
        query.is_valid(raise_exception=True)
        root = query.validated_data.get("root")
        depth = query.validated_data.get("depth")
        if root is not None:
            nodes = nodes.descendants_of(root, include_self=True)
        if depth is not None:
            nodes = nodes.filter(level__lte=(root.level if root else 0) + depth)
        data = tree_data(
            request,
            nodes,
            include_roles=query.validated_data["include_roles"],
            hidden=None if can_change(request.user, Department) else HiddenDepartments(),
        )
        if data is None:
            raise NotFound(gettext("The organisation has no departments yet."))
        return set_org_validators(request, Response(data))

    def tree_as_of(self, request):
        """The tree as it stood at ``?as_of=``, rebuilt from the history (orgportal.changes).

        Imported here: the history spans departments and roles, which this app knows nothing
        of; it hands back Department instances that the same serializer reads.
        """
        from orgportal.changes.asof import tree_data_as_of
        from orgportal.changes.states import TREE_PARTS, rows_as_of, visible_rows

        moment = as_of_parameter(request)
        query = DepartmentTreeQuerySerializer(
            data={k: v for k, v in request.query_params.items() if k != "root"},
        )
        query.is_valid(raise_exception=True)
        include_roles = query.validated_data["include_roles"]
        rows = rows_as_of(moment, only=TREE_PARTS)
        if not can_change(request.user, Department):
            rows = visible_rows(rows)
        role_model = Department._meta.get_field("roles").related_model
        try:
            top = tree_data_as_of(
                request,
                rows,
                include_roles=include_roles,
                every_role=can_change(request.user, role_model),
                root_code=request.query_params.get("root") or None,
                depth=query.validated_data.get("depth"),
            )
        except LookupError:
            raise ValidationError(
                {"root": [gettext("No department had this code then.")]}
            ) from None
        if top is None:
            raise NotFound(gettext("The organisation had no departments then."))
        return Response(top)

    @extend_schema(
        operation_id="departments_ancestors",
        summary=_("Ancestors of a department"),
        description=_("The departments above it, from the company down to its parent."),
        parameters=[CODE_PARAMETER],
        responses=DepartmentSerializer(many=True),
    )
    @action(detail=True, filter_backends=[])
    def ancestors(self, request, code=None):
        department = self.get_object()
        return self._paginated(self.get_queryset().ancestors_of(department))

    @extend_schema(
        operation_id="departments_descendants",
        summary=_("Descendants of a department"),
        description=_("Every department below it, at any depth, in tree order."),
        parameters=[CODE_PARAMETER],
        responses=DepartmentSerializer(many=True),
    )
    @action(detail=True, filter_backends=[])
    def descendants(self, request, code=None):
        department = self.get_object()
        return self._paginated(self.get_queryset().descendants_of(department))

    @extend_schema(
        operation_id="departments_children",
        summary=_("Children of a department"),
        description=_("Its direct sub-departments, in tree order."),
        parameters=[CODE_PARAMETER],
        responses=DepartmentSerializer(many=True),
    )
    @action(detail=True, filter_backends=[])
    def children(self, request, code=None):
        department = self.get_object()
        return self._paginated(self.get_queryset().filter(parent=department))

    @extend_schema(
        operation_id="departments_move",
        summary=_("Move a department"),
        description=_(
            "Moves the department, with its sub-departments, relative to `target`. A move into "
            "the department itself or below it, an unknown target, a position beside the "
            "company or an unknown position is a 400 naming the field. Needs the permission "
            "to change departments. Answers the department as it now stands."
        ),
        parameters=[CODE_PARAMETER],
        request=DepartmentMoveSerializer,
        responses={200: DepartmentSerializer},
    )
    @action(detail=True, methods=["post"], required_model_permissions=["change"])
    def move(self, request, code=None):
        department = self.get_object()
        query = DepartmentMoveSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            moved = department_move(department=department, **query.validated_data)
        except InvalidMove as error:
            raise DjangoValidationError({"target": str(error)}) from error
        return Response(self.get_serializer(moved).data)

    def _paginated(self, queryset):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def detail_cache_name(request, code, format):
    """Return the name under which a department's rendered answer is cached.

    The answer depends on the department, the organisation version, the language, whether the
    reader sees archived departments (and so every count below), the format and the address
    the URLs are built with; the version and the language are added by org_cached().
    """
    return department_cache_name(
        code,
        may_change=can_change(request.user, Department),
        format=format,
        root=request.build_absolute_uri("/"),
    )


def department_cache_name(code, *, may_change, format, root):
    """Return detail_cache_name() from its parts: ``root`` is the address the URLs are built
    with (the request's ``build_absolute_uri("/")``)."""
    scope = "all" if may_change else "visible"
    return ":".join(["api-department-detail", code, scope, format, root])


def body_etag(body):
    """Return the ETag Django's ConditionalGetMiddleware gives a response with ``body``."""
    response = HttpResponse(body)
    set_response_etag(response)
    return response.headers.get("ETag")


def tree_conditional_parts(request, format):
    """Return what the tree's answer depends on besides the organisation, request and reader
    (see orgportal.conditional): its format, and whether the reader sees archived
    departments and roles."""
    role_model = Department._meta.get_field("roles").related_model
    return (format, can_change(request.user, Department), can_change(request.user, role_model))


TREE_TEXTS = ("name", "tagline", "positioning", "description")


def tree_data(request, departments, *, include_roles, hidden):
    """Return the nested tree of ``departments`` (one subtree, maybe cut off) as plain data.

    Built from ``values()`` rows in one pass in tree order with a parent map: the shape of
    DepartmentTreeSerializer, at the cost of the rows and ``json.dumps``. ``hidden`` counts the
    departments below each one that the reader may not see (None when they see all).
    """
    texts = text_columns(TREE_TEXTS)
    order = fallback_order()
    rows = departments.order_by("tree_id", "lft").values(
        "pk", "code", "parent_id", "is_active", "tree_id", "lft", "rght", "level", *texts
    )
    url_template = request.build_absolute_uri(
        reverse("api:department-detail", kwargs={"code": "__code__"})
    )
    roles_by_department = _tree_roles(request, departments) if include_roles else None
    top = None
    by_pk = {}
    for row in rows:
        code = row["code"]
        node = {
            "code": code,
            "url": url_template.replace("__code__", code),
        }
        for field in TREE_TEXTS:
            node[field] = _first_text(row, field, order)
        below = (row["rght"] - row["lft"] - 1) // 2
        if hidden is not None:
            below -= hidden.count_below(SimpleNamespace(**row))
        node.update(
            is_active=row["is_active"],
            level=row["level"],
            descendant_count=below,
            roles=None if roles_by_department is None else roles_by_department.get(row["pk"], []),
            children=[],
        )
        if top is None:
            top = node
        else:
            parent = by_pk.get(row["parent_id"])
            if parent is None:
                continue  # below a department the reader does not see
            parent["children"].append(node)
        by_pk[row["pk"]] = node
    return top


def _first_text(row, field, order):
    for language in order:
        value = row[column(field, language)]
        if value:
            return value
    return ""


def _tree_roles(request, departments):
    """Return the role summaries of ``departments``, by department pk, in order."""
    role_model = Department._meta.get_field("roles").related_model
    roles = role_model.objects.filter(department__in=departments.values("pk"))
    if not can_change(request.user, role_model):
        roles = roles.filter(is_active=True)
    order = fallback_order()
    url_template = request.build_absolute_uri(
        reverse("api:role-detail", kwargs={"code": "__code__"})
    )
    by_department = {}
    rows = roles.order_by("department_id", "sort_order", "pk").values(
        "department_id", "code", "headcount", "is_active", *text_columns(["title"])
    )
    for row in rows:
        by_department.setdefault(row["department_id"], []).append(
            {
                "code": row["code"],
                "url": url_template.replace("__code__", row["code"]),
                "title": _first_text(row, "title", order),
                "headcount": row["headcount"],
                "is_active": row["is_active"],
            }
        )
    return by_department


class HiddenDepartments:
    """The places of the departments a user may not see, to count only visible descendants.

    Loaded in one query on first use. Nothing active stands under an archived department, so
    a department's hidden descendants are the hidden departments inside its range.
    """

    def __init__(self):
        self._edges = None

    def count_below(self, department) -> int:
        if self._edges is None:
            self._edges = {}
            for tree_id, lft in Department.objects.hidden().values_list("tree_id", "lft"):
                self._edges.setdefault(tree_id, []).append(lft)
            for edges in self._edges.values():
                edges.sort()
        edges = self._edges.get(department.tree_id, [])
        return bisect_left(edges, department.rght) - bisect_right(edges, department.lft)
