"""The shape of the organisation file, as the export endpoint's schema describes it."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgportal.guide.models import Mode, Stage

ENGLISH = _("English; present only where there is an English text.")
TRADITIONAL = _(
    "Traditional Chinese written by hand; present only where there is one (the portal converts "
    "the simplified text automatically everywhere else)."
)


def language_fields(**kwargs):
    """Return the serializer fields of one text: simplified Chinese, English, traditional."""
    return (
        serializers.CharField(**kwargs),
        serializers.CharField(required=False, help_text=ENGLISH),
        serializers.CharField(required=False, help_text=TRADITIONAL),
    )


class OrganisationDutySerializer(serializers.Serializer):
    area, area_en, area_zh_hant = language_fields(
        help_text=_("Optional group, such as SEO方向; may be empty.")
    )
    text, text_en, text_zh_hant = language_fields(help_text=_("The duty, in simplified Chinese."))


class OrganisationRoleSerializer(serializers.Serializer):
    code = serializers.SlugField()
    title, title_en, title_zh_hant = language_fields(help_text=_("In simplified Chinese."))
    summary, summary_en, summary_zh_hant = language_fields(help_text=_("In simplified Chinese."))
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
    name, name_en, name_zh_hant = language_fields(help_text=_("In simplified Chinese."))
    tagline, tagline_en, tagline_zh_hant = language_fields(help_text=_("In simplified Chinese."))
    positioning, positioning_en, positioning_zh_hant = language_fields(
        help_text=_("In simplified Chinese.")
    )
    description, description_en, description_zh_hant = language_fields(
        help_text=_("In simplified Chinese.")
    )
    is_active = serializers.BooleanField(
        required=False, help_text=_("Present (false) only on archived departments.")
    )
    roles = OrganisationRoleSerializer(many=True)
    departments = serializers.SerializerMethodField()
    mode = serializers.ChoiceField(
        # The guide's choices: one enum for the mode in the whole schema.
        choices=Mode.choices,
        allow_null=True,
        required=False,
        help_text=_("The company (the root) only: its structure mode, null when not set."),
    )
    stage = serializers.ChoiceField(
        choices=Stage.choices,
        allow_null=True,
        required=False,
        help_text=_("The company (the root) only: its business stage, null when not set."),
    )

    @extend_schema_field(
        lazy_serializer("orgportal.api.serializers.OrganisationDepartmentSerializer")(many=True)
    )
    def get_departments(self, data):
        return data["departments"]


class OrganisationTeamMemberSerializer(serializers.Serializer):
    role = serializers.SlugField(help_text=_("Code of the member's role."))
    responsibility, responsibility_en, responsibility_zh_hant = language_fields(
        help_text=_("What the role answers for in the team, in simplified Chinese; may be empty.")
    )
    allocation = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("Share of the role's time in percent; left out when not set."),
    )


class OrganisationTeamSerializer(serializers.Serializer):
    """A project team of the organisation file (its teams: list)."""

    code = serializers.SlugField()
    name, name_en, name_zh_hant = language_fields(help_text=_("In simplified Chinese."))
    purpose, purpose_en, purpose_zh_hant = language_fields(help_text=_("In simplified Chinese."))
    owner = serializers.SlugField(help_text=_("Code of the Owner's role."))
    status = serializers.ChoiceField(choices=["planned", "active", "closed"])
    starts_on = serializers.DateField(required=False, help_text=_("Left out when not set."))
    ends_on = serializers.DateField(required=False, help_text=_("Left out when not set."))
    is_active = serializers.BooleanField(
        required=False, help_text=_("Present (false) only on archived teams.")
    )
    members = OrganisationTeamMemberSerializer(many=True)


class OrganisationFileSerializer(OrganisationDepartmentSerializer):
    """The organisation file: the root department, and the project teams when there are any."""

    teams = OrganisationTeamSerializer(many=True, required=False)
