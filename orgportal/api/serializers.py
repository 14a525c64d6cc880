"""The shape of the organisation file, as the export endpoint's schema describes it."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class OrganisationDutySerializer(serializers.Serializer):
    area = serializers.CharField(help_text=_("Optional group, such as SEO方向; may be empty."))
    text = serializers.CharField()


class OrganisationRoleSerializer(serializers.Serializer):
    code = serializers.SlugField()
    title = serializers.CharField()
    title_en = serializers.CharField()
    summary = serializers.CharField()
    headcount = serializers.IntegerField(
        min_value=0, required=False, help_text=_("Planned seats; left out when not known.")
    )
    reports_to = serializers.SlugField(
        allow_null=True, help_text=_("Code of the role this one reports to.")
    )
    is_active = serializers.BooleanField(
        required=False, help_text=_("Present (false) only on archived roles.")
    )
    duties = OrganisationDutySerializer(many=True)


class OrganisationDepartmentSerializer(serializers.Serializer):
    """A department of the organisation file with its roles and sub-departments."""

    code = serializers.SlugField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    tagline = serializers.CharField()
    positioning = serializers.CharField()
    description = serializers.CharField()
    is_active = serializers.BooleanField(
        required=False, help_text=_("Present (false) only on archived departments.")
    )
    roles = OrganisationRoleSerializer(many=True)
    departments = serializers.SerializerMethodField()

    @extend_schema_field(
        lazy_serializer("orgportal.api.serializers.OrganisationDepartmentSerializer")(many=True)
    )
    def get_departments(self, data):
        return data["departments"]
