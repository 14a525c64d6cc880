"""The shapes of /api/v1/organisation/ and /api/v1/insights/ (output only)."""

from functools import cache

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from orgportal.guide.models import Mode, Stage


class OrganisationCountsSerializer(serializers.Serializer):
    departments = serializers.IntegerField(help_text=_("Active departments, the company included."))
    departments_below_root = serializers.IntegerField(
        help_text=_("Active departments below the company.")
    )
    roles = serializers.IntegerField(help_text=_("Active roles."))
    duties = serializers.IntegerField(help_text=_("Duties of the active roles."))
    planned_seats = serializers.IntegerField(
        help_text=_("Planned seats of the active roles that have a headcount.")
    )
    roles_without_headcount = serializers.IntegerField()
    depth = serializers.IntegerField(
        help_text=_("Layers from the company (layer 1) to its deepest department.")
    )
    project_teams = serializers.IntegerField(
        allow_null=True, help_text=_("Visible project teams; null where teams are not installed.")
    )


class OrganisationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The company's department code."))
    name = serializers.CharField(help_text=_("The company's name, in the request's language."))
    mode = serializers.ChoiceField(
        choices=Mode.choices, allow_null=True, help_text=_("The structure mode; null if not set.")
    )
    mode_label = serializers.CharField(allow_null=True)
    stage = serializers.ChoiceField(
        choices=Stage.choices, allow_null=True, help_text=_("The business stage; null if not set.")
    )
    stage_label = serializers.CharField(allow_null=True)
    counts = OrganisationCountsSerializer()


class ItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["department", "role", "duty", "team"])
    code = serializers.CharField()
    name = serializers.CharField(help_text=_("Name or title, in the request's language."))
    url = serializers.CharField(help_text=_("The portal page that shows it."))
    admin_url = serializers.CharField(help_text=_("The admin form where it is changed."))


class SpanItemSerializer(ItemSerializer):
    span = serializers.IntegerField()


class BandSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=["1", "2–3", "4–7", "8–12", "13+"])
    managers = serializers.IntegerField()
    share = serializers.FloatField(help_text=_("Share of all managers of this kind, 0 to 1."))
    is_target = serializers.BooleanField()


@cache
def _list_of(child):
    return type(
        f"{child.__name__.removesuffix('Serializer')}ListSerializer",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(help_text=_("How many there are.")),
            "items": child(many=True, help_text=_("The first 100; the CSV has them all.")),
        },
    )


def capped_list(child, help_text, **kwargs):
    """Return a field of {"count", "items"}: every item counted, the first 100 listed."""
    return _list_of(child)(help_text=help_text, **kwargs)


class SpansSerializer(serializers.Serializer):
    target = serializers.CharField(help_text=_("The target band, such as 4–7."))
    managers = serializers.IntegerField()
    in_target = serializers.IntegerField()
    largest = serializers.IntegerField()
    average = serializers.FloatField()
    bands = BandSerializer(many=True)
    outside_target = capped_list(SpanItemSerializer, _("Managers outside the target band."))


class SpanOfControlSerializer(serializers.Serializer):
    departments = SpansSerializer(help_text=_("Sub-departments per department."))
    roles = SpansSerializer(help_text=_("Direct reports per role (reports_to)."))


class LeavesSerializer(serializers.Serializer):
    layers = serializers.IntegerField()
    leaves = serializers.IntegerField()


class DeepestSerializer(serializers.Serializer):
    department = ItemSerializer()
    path = serializers.ListField(
        child=serializers.CharField(), help_text=_("Codes from the company.")
    )


class DepthSerializer(serializers.Serializer):
    layers = serializers.IntegerField()
    leaves_by_depth = LeavesSerializer(many=True)
    deepest = DeepestSerializer(many=True)


class BranchSerializer(serializers.Serializer):
    department = ItemSerializer()
    roles = serializers.IntegerField()
    planned_seats = serializers.IntegerField()
    roles_without_headcount = serializers.IntegerField()


class WithoutSeatsSerializer(ItemSerializer):
    roles = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["no-roles", "no-headcount"])


class HeadcountSerializer(serializers.Serializer):
    planned_seats = serializers.IntegerField()
    roles_without_headcount = serializers.IntegerField()
    branches = BranchSerializer(
        many=True, help_text=_("The departments directly below the company.")
    )
    without_planned_seats = capped_list(
        WithoutSeatsSerializer, _("Departments whose subtree plans no seats.")
    )


class LineGapSerializer(ItemSerializer):
    lead_role = serializers.CharField(help_text=_("A lead role of the department."))


class TeamGapSerializer(ItemSerializer):
    members = serializers.IntegerField()
    status = serializers.CharField()


class GapsSerializer(serializers.Serializer):
    empty_departments = capped_list(ItemSerializer, _("No roles and no sub-departments."))
    roles_without_duties = capped_list(ItemSerializer, _("Roles with no duties."))
    roles_without_reporting_line = capped_list(
        LineGapSerializer, _("No reporting line, in a department that has a lead role.")
    )
    teams_from_one_department = capped_list(
        TeamGapSerializer,
        _("Project teams without a member outside the Owner's department; null without teams."),
        allow_null=True,
    )


class DutyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    role = ItemSerializer()


class PairSerializer(serializers.Serializer):
    similarity = serializers.FloatField()
    first = DutyRefSerializer()
    second = DutyRefSerializer()


class OverlapSerializer(serializers.Serializer):
    threshold = serializers.FloatField(
        help_text=_("The least Jaccard similarity of the two texts' character bigrams.")
    )
    pairs = capped_list(PairSerializer, _("Duties of different roles that read alike."))


class InsightsSummarySerializer(serializers.Serializer):
    departments = serializers.IntegerField()
    departments_below_root = serializers.IntegerField()
    depth = serializers.IntegerField()
    roles = serializers.IntegerField()
    duties = serializers.IntegerField()
    planned_seats = serializers.IntegerField()
    roles_without_headcount = serializers.IntegerField()
    similar_duty_pairs = serializers.IntegerField()


class OrganisationRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class InsightsSerializer(serializers.Serializer):
    organisation = OrganisationRefSerializer()
    summary = InsightsSummarySerializer()
    span_of_control = SpanOfControlSerializer()
    depth = DepthSerializer()
    headcount = HeadcountSerializer()
    gaps = GapsSerializer()
    overlap = OverlapSerializer()
