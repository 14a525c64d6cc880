"""Serializers of the project team API: a team with its members nested, read and written."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from departments.api.serializers import (
    CodeRelatedField,
    CodeURLField,
    StrictModelSerializer,
    TranslatedFieldsMixin,
    with_languages,
)
from roles.models import Role
from teams.models import ProjectTeam, TeamMember

MEMBER_EXAMPLE = {
    "role": "seo-sem-specialist",
    "role_title": "SEO/SEM优化师",
    "department": "digital-operations",
    "is_owner": False,
    "responsibility": "搭建618搜索广告计划,优化关键词与广告创意,控制CPC,提升搜索流量与转化",
    "responsibility_zh_hans": "搭建618搜索广告计划,优化关键词与广告创意,控制CPC,提升搜索流量与转化",
    "responsibility_en": "Set up the 618 search-ad campaigns, optimise keywords and ad creatives, "
    "keep CPC under control and raise search traffic and conversions",
    "responsibility_zh_hant": "搭建618搜尋廣告計畫,最佳化關鍵詞與廣告創意,控制CPC,"
    "提升搜尋流量與轉化",
    "zh_hant_auto": ["responsibility"],
    "allocation": 40,
    "sort_order": 1,
}
TEAM_EXAMPLE = {
    "code": "team-618",
    "url": "https://orgportal.example.com/api/v1/teams/team-618/",
    "name": "618大促项目组",
    "name_zh_hans": "618大促项目组",
    "name_en": "618 Shopping Festival Project Team",
    "name_zh_hant": "618大促專案組",
    "purpose": "统筹618大促的全渠道营销。",
    "purpose_zh_hans": "统筹618大促的全渠道营销。",
    "purpose_en": "Runs the 618 shopping festival across all channels.",
    "purpose_zh_hant": "統籌618大促的全通路行銷。",
    "zh_hant_auto": ["name", "purpose"],
    "owner": "marketing-planning-manager",
    "status": "active",
    "starts_on": "2026-11-16",
    "ends_on": "2027-06-30",
    "is_active": True,
    "departments": ["market-research-strategy", "digital-operations"],
    "members": [MEMBER_EXAMPLE],
    "created_at": "2026-11-16T09:30:00+08:00",
    "updated_at": "2026-11-16T09:30:00+08:00",
}


class TeamMemberSerializer(TranslatedFieldsMixin, StrictModelSerializer):
    """A member of a team: a role of any department and what it answers for in the team."""

    role = CodeRelatedField(
        queryset=Role.objects.all(),
        help_text=_("Code of the role; its department is the member's functional home."),
    )
    role_title = serializers.SerializerMethodField(help_text=_("The role's title."))
    department = serializers.SerializerMethodField(
        help_text=_("Code of the role's department: the member's functional home.")
    )
    is_owner = serializers.SerializerMethodField(
        help_text=_("Whether the role is the team's Owner.")
    )

    class Meta:
        model = TeamMember
        fields = [
            "role",
            "role_title",
            "department",
            "is_owner",
            *with_languages("responsibility"),
            "zh_hant_auto",
            "allocation",
            "sort_order",
        ]
        read_only_fields = ["sort_order"]
        extra_kwargs = {"allocation": {"min_value": 1, "max_value": 100}}

    def current_instance(self, data):
        """Return the team's member that ``data`` writes to (same role), None for a new one."""
        team = self.root.instance if self.root is not self else None
        if not isinstance(team, ProjectTeam):
            return None
        role = data.get("role")
        return next((member for member in team.members.all() if member.role.code == role), None)

    def get_role_title(self, member) -> str:
        return member.role.title

    def get_department(self, member) -> str:
        return member.role.department.code

    def get_is_owner(self, member) -> bool:
        return member.role_id == member.team.owner_id


@extend_schema_serializer(
    examples=[
        OpenApiExample("618大促项目组", value=TEAM_EXAMPLE, response_only=True),
        OpenApiExample(
            "New team",
            value={
                "code": "double-11",
                "name_zh_hans": "双11项目组",
                "name_en": "Double 11 Project Team",
                "owner": "marketing-planning-manager",
                "status": "planned",
                "starts_on": "2027-09-01",
                "ends_on": "2027-11-15",
                "members": [
                    {
                        "role": "marketing-planning-manager",
                        "responsibility_zh_hans": "统筹双11战役",
                        "allocation": 60,
                    },
                    {"role": "ecommerce-operations", "responsibility_zh_hans": "店铺大促运营"},
                ],
            },
            request_only=True,
        ),
    ]
)
class ProjectTeamSerializer(TranslatedFieldsMixin, StrictModelSerializer):
    """A project team with its members in order; ``owner`` and members' roles are codes.

    Writing ``members`` replaces the team's members with the list, in its order (a role at
    most once); leaving it out keeps them as they are.
    """

    url = CodeURLField("api:team-detail")
    owner = CodeRelatedField(
        queryset=Role.objects.all(),
        help_text=_("Code of the Owner's role: answers for the result."),
    )
    departments = serializers.SerializerMethodField(
        help_text=_("Codes of the departments the team draws members from, in tree order.")
    )
    members = TeamMemberSerializer(many=True, required=False)

    class Meta:
        model = ProjectTeam
        fields = [
            "code",
            "url",
            *with_languages("name", "purpose"),
            "zh_hant_auto",
            "owner",
            "status",
            "starts_on",
            "ends_on",
            "is_active",
            "departments",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_departments(self, team) -> list[str]:
        homes = {}
        for member in team.members.all():
            department = member.role.department
            homes[department.code] = (department.tree_id, department.lft)
        return sorted(homes, key=homes.get)

    def validate_members(self, members):
        seen = set()
        errors = []
        for member in members:
            role = member["role"]
            if role.pk in seen:
                errors.append({"role": [gettext("This role is already a member of the team.")]})
            else:
                errors.append({})
            seen.add(role.pk)
        if any(errors):
            raise serializers.ValidationError(errors)
        return members

    def validate(self, attrs):
        team = ProjectTeam(**{k: v for k, v in attrs.items() if k != "members"})
        if self.instance is not None:
            team = self.instance
            for name, value in attrs.items():
                if name != "members":
                    setattr(team, name, value)
        try:
            team.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        members = validated_data.pop("members", [])
        team = ProjectTeam(**validated_data)
        team.full_clean()
        team.save()
        self._save_members(team, members)
        return team

    @transaction.atomic
    def update(self, instance, validated_data):
        members = validated_data.pop("members", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.full_clean(validate_unique=False)
        instance.save()
        if members is not None:
            self._save_members(instance, members)
        return instance

    def _save_members(self, team, members):
        """Make the team's members the list ``members``, in its order."""
        wanted = {member["role"].pk for member in members}
        # One statement for the members the list leaves out, whatever their number.
        TeamMember.objects.filter(team=team).exclude(role__in=wanted).delete()
        existing = {member.role_id: member for member in TeamMember.objects.filter(team=team)}
        for index, data in enumerate(members):
            member = existing.get(data["role"].pk) or TeamMember(team=team)
            for name, value in data.items():
                setattr(member, name, value)
            member.sort_order = index
            member.full_clean(validate_unique=False, validate_constraints=False)
            member.save()
        # The answer shows the members as they now are.
        if hasattr(team, "_prefetched_objects_cache"):
            team._prefetched_objects_cache.pop("members", None)
