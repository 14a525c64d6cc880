"""Serializers of the role and duty API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from departments.api.serializers import (
    CodeRelatedField,
    CodeURLField,
    StrictModelSerializer,
    TranslatedFieldsMixin,
    with_languages,
)
from departments.models import Department
from roles.models import MAX_INTEGER, Duty, Role, next_sort_order

SEO_DUTY_EXAMPLE = {
    "id": 17,
    "area": "SEO方向",
    "area_zh_hans": "SEO方向",
    "area_en": "SEO",
    "area_zh_hant": "SEO方向",
    "text": "研究搜索引擎算法(如百度“清风算法”),优化网站结构(TDK设置、内链布局)",
    "text_zh_hans": "研究搜索引擎算法(如百度“清风算法”),优化网站结构(TDK设置、内链布局)",
    "text_en": "Study search-engine algorithms (e.g. Baidu's “Qingfeng (Breeze) algorithm”) and "
    "optimise the site structure (TDK settings, internal linking)",
    "text_zh_hant": "研究搜尋引擎演算法(如百度“清風演算法”),最佳化網站結構(TDK設定、內鏈佈局)",
    "zh_hant_auto": ["area", "text"],
    "sort_order": 0,
}
ROLE_EXAMPLE = {
    "code": "seo-sem-specialist",
    "url": "https://orgportal.example.com/api/v1/roles/seo-sem-specialist/",
    "title": "SEO/SEM优化师",
    "title_zh_hans": "SEO/SEM优化师",
    "title_en": "SEO/SEM Specialist",
    "title_zh_hant": "SEO/SEM最佳化師",
    "summary": "",
    "summary_zh_hans": "",
    "summary_en": "",
    "summary_zh_hant": "",
    "zh_hant_auto": ["summary", "title"],
    "department": "digital-operations",
    "reports_to": None,
    "headcount": None,
    "sort_order": 0,
    "is_active": True,
    "created_at": "2025-01-06T09:30:00+08:00",
    "updated_at": "2025-01-06T09:30:00+08:00",
}


class RoleTeamSerializer(serializers.Serializer):
    """A project team as a role's detail lists it."""

    code = serializers.SlugField(help_text=_("The team's code."))
    name = serializers.CharField(help_text=_("The team's name in the request's language."))
    status = serializers.ChoiceField(choices=["planned", "active", "closed"])
    is_owner = serializers.BooleanField(help_text=_("Whether the role is the team's Owner."))
    responsibility = serializers.CharField(
        help_text=_("What the role answers for in the team, in the request's language.")
    )
    allocation = serializers.IntegerField(
        allow_null=True, help_text=_("Share of the role's time for the team, in percent.")
    )


class FullCleanMixin:
    """Run the model's own validation (such as its clean()) before every save."""

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        self.before_create(instance)
        instance.full_clean(validate_unique=False)
        instance.save()
        return instance

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.full_clean(validate_unique=False)
        instance.save()
        return instance

    def before_create(self, instance):
        pass


class RoleDutySerializer(TranslatedFieldsMixin, serializers.ModelSerializer):
    """A duty nested in its role."""

    class Meta:
        model = Duty
        fields = ["id", *with_languages("area", "text"), "zh_hant_auto", "sort_order"]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample("SEO/SEM优化师", value=ROLE_EXAMPLE, response_only=True),
        OpenApiExample(
            "New role in 数字运营部",
            value={
                "code": "live-commerce-host",
                "title_zh_hans": "直播运营",
                "title_en": "Live Commerce Host",
                "department": "digital-operations",
                "headcount": 2,
            },
            request_only=True,
        ),
    ]
)
class RoleSerializer(TranslatedFieldsMixin, FullCleanMixin, StrictModelSerializer):
    """A role; ``department`` and ``reports_to`` are codes."""

    url = CodeURLField("api:role-detail")
    department = CodeRelatedField(
        queryset=Department.objects.all(), help_text=_("Code of the role's department.")
    )
    reports_to = CodeRelatedField(
        queryset=Role.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Code of the role this one reports to; never a cycle."),
    )

    class Meta:
        model = Role
        fields = [
            "code",
            "url",
            *with_languages("title", "summary"),
            "zh_hant_auto",
            "department",
            "reports_to",
            "headcount",
            "sort_order",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "headcount": {"max_value": MAX_INTEGER},
            "sort_order": {
                "required": False,
                "max_value": MAX_INTEGER,
                "help_text": _("Order within the department. Default: after its other roles."),
            },
        }

    def before_create(self, instance):
        if "sort_order" not in self.validated_data:
            instance.sort_order = next_sort_order(
                Role.objects.filter(department=instance.department)
            )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "reports_to_visible", True):
            data["reports_to"] = None
        return data


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "SEO/SEM优化师 with its duties",
            value={**ROLE_EXAMPLE, "duties": [SEO_DUTY_EXAMPLE]},
            response_only=True,
        ),
    ]
)
class RoleDetailSerializer(RoleSerializer):
    """A role with its duties in order and the project teams it belongs to."""

    duties = RoleDutySerializer(many=True, read_only=True)
    teams = serializers.SerializerMethodField(
        help_text=_(
            "The project teams the role belongs to (the matrix's dotted lines), by code; "
            "is_owner marks the teams it owns."
        )
    )

    class Meta(RoleSerializer.Meta):
        fields = [*RoleSerializer.Meta.fields, "duties", "teams"]

    @extend_schema_field(RoleTeamSerializer(many=True))
    def get_teams(self, role):
        memberships = getattr(role, "readable_memberships", None)
        if memberships is None:
            return []
        return [
            {
                "code": membership.team.code,
                "name": membership.team.name,
                "status": membership.team.status,
                "is_owner": membership.team.owner_id == role.pk,
                "responsibility": membership.responsibility or "",
                "allocation": membership.allocation,
            }
            for membership in memberships
        ]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A duty of SEO/SEM优化师",
            value={
                **SEO_DUTY_EXAMPLE,
                "url": "https://orgportal.example.com/api/v1/duties/17/",
                "role": "seo-sem-specialist",
            },
            response_only=True,
        ),
        OpenApiExample(
            "New duty for SEO/SEM优化师",
            value={
                "role": "seo-sem-specialist",
                "area_zh_hans": "SEO方向",
                "area_en": "SEO",
                "text_zh_hans": "维护站点地图与收录监控",
                "text_en": "Maintain the sitemap and monitor indexing",
            },
            request_only=True,
        ),
    ]
)
class DutySerializer(TranslatedFieldsMixin, FullCleanMixin, StrictModelSerializer):
    """A duty; ``role`` is the role's code."""

    url = serializers.HyperlinkedIdentityField(view_name="api:duty-detail")
    role = CodeRelatedField(queryset=Role.objects.all(), help_text=_("Code of the duty's role."))

    class Meta:
        model = Duty
        fields = [
            "id",
            "url",
            "role",
            *with_languages("area", "text"),
            "zh_hant_auto",
            "sort_order",
        ]
        extra_kwargs = {
            "sort_order": {
                "required": False,
                "max_value": MAX_INTEGER,
                "help_text": _("Order within the role. Default: after its other duties."),
            }
        }

    def before_create(self, instance):
        if "sort_order" not in self.validated_data:
            instance.sort_order = next_sort_order(Duty.objects.filter(role=instance.role))
