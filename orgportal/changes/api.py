"""GET /api/v1/changes/?since=<cursor>: the change feed for other systems."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from departments.access import can_change
from departments.models import Department
from orgportal.api.filtering import refuse_unknown_parameters
from orgportal.api.permissions import handles_method
from orgportal.changes.feed import ACTIONS, feed_page
from roles.models import Duty, Role

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class CanFollowChanges(permissions.BasePermission):
    """Let through users who may change departments, roles and duties: the feed holds archived
    items and who changed what."""

    def has_permission(self, request, view):
        if not handles_method(view, request.method):
            return True
        return request.user.is_authenticated and all(
            can_change(request.user, model) for model in (Department, Role, Duty)
        )


class ChangeSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(help_text=_("The change's place in commit order."))
    at = serializers.DateTimeField(help_text=_("When the change was made."))
    model = serializers.ChoiceField(
        ["department", "role", "duty", "organisationprofile", "projectteam", "teammember"]
    )
    id = serializers.IntegerField(help_text=_("The id of the changed object."))
    action = serializers.ChoiceField(list(ACTIONS.values()))
    user = serializers.CharField(allow_null=True, help_text=_("Who made it; null for commands."))
    reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField(
        allow_blank=True, help_text=_("admin, api, web, shell, command:import_org, …")
    )
    data = serializers.DictField(
        help_text=_(
            "The object after the change (before it, for a deletion): every column by name, "
            "references by id (parent_id, department_id, role_id, reports_to_id) and, for a "
            "department, its position among its siblings."
        )
    )


class ChangeFeedSerializer(serializers.Serializer):
    next = serializers.URLField(help_text=_("Ask this next: the changes after this page."))
    previous = serializers.URLField(allow_null=True)
    cursor = serializers.IntegerField(help_text=_("The cursor to send as since next time."))
    more = serializers.BooleanField(help_text=_("Whether more changes follow right away."))
    results = ChangeSerializer(many=True)


class ChangeFeedView(APIView):
    permission_classes = [CanFollowChanges]

    @extend_schema(
        operation_id="changes",
        summary=_("Follow the changes"),
        description=_(
            "Every change of a department, role or duty, oldest first, in the order the "
            "changes were committed. Start with `since=0` (or without it), apply the results, "
            "then ask `next` (the same `since` with the last cursor) again, now or later: a "
            "cursor never skips a change and never repeats one, even when transactions commit "
            "out of order, because changes are numbered when they commit. Replaying every "
            "change from the start onto an empty copy gives the current organisation. Needs "
            "change permission on departments, roles and duties."
        ),
        parameters=[
            OpenApiParameter(
                "since",
                int,
                OpenApiParameter.QUERY,
                description=_("The cursor of the last change you have; 0 for the start."),
            ),
            OpenApiParameter(
                "limit",
                int,
                OpenApiParameter.QUERY,
                description=_("Number of changes per answer (default 100, at most 1000)."),
            ),
        ],
        responses={200: ChangeFeedSerializer},
        tags=["changes"],
    )
    def get(self, request):
        refuse_unknown_parameters(request, {"since", "limit"})
        since = _whole_number(request.query_params.get("since"), "since", 0, None, default=0)
        limit = _whole_number(
            request.query_params.get("limit"), "limit", 1, MAX_LIMIT, default=DEFAULT_LIMIT
        )
        results, more = feed_page(since=since, limit=limit)
        cursor = results[-1]["cursor"] if results else since
        url = request.build_absolute_uri()
        return Response(
            {
                "next": replace_query_param(url, "since", cursor),
                "previous": None,
                "cursor": cursor,
                "more": more,
                "results": results,
            }
        )


def _whole_number(value, name, low, high, *, default):
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise ValidationError({name: [gettext("Enter a whole number of %d or more.") % low]})
    number = int(value)
    if number < low or (high is not None and number > high):
        message = (
            gettext("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
            if high is not None
            else gettext("Enter a whole number of %d or more.") % low
        )
        raise ValidationError({name: [message]})
    return number
