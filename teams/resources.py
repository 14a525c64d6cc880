"""Project teams and their members in HR's spreadsheets: teams by code, members by team and
role code. Every row goes through the model's save() (see orgportal/orgfiles/spreadsheets.py).
"""

import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import widgets

from orgportal.orgfiles.spreadsheets import (
    ActiveWidget,
    CodeWidget,
    OrgResource,
    WholeNumberWidget,
    column,
    text_columns,
    text_keys,
)
from roles.models import Role
from teams.models import ProjectTeam, TeamMember


def _label(model, name):
    return model._meta.get_field(name).verbose_name


class DateWidget(widgets.Widget):
    """A date as 2026-06-18, or an empty cell; spreadsheets' own date cells are taken too."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError as error:
            raise ValueError(gettext("Write a date such as 2026-06-18.")) from error

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class ProjectTeamResource(OrgResource):
    code = column("code", _label(ProjectTeam, "code"))
    name, name_en, name_zh_hant = text_columns(ProjectTeam, "name")
    purpose, purpose_en, purpose_zh_hant = text_columns(ProjectTeam, "purpose")
    owner = column("owner", _("Owner (role code)"), CodeWidget(Role))
    status = column("status", _label(ProjectTeam, "status"))
    starts_on = column("starts_on", _label(ProjectTeam, "starts_on"), DateWidget())
    ends_on = column("ends_on", _label(ProjectTeam, "ends_on"), DateWidget())
    is_active = column("is_active", _label(ProjectTeam, "is_active"), ActiveWidget())

    class Meta:
        model = ProjectTeam
        import_id_fields = ("code",)
        fields = (
            "code",
            *text_keys("name", "purpose"),
            "owner",
            "status",
            "starts_on",
            "ends_on",
            "is_active",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("owner").order_by("code")


class TeamMemberResource(OrgResource):
    team = column("team", _("team code"), CodeWidget(ProjectTeam))
    role = column("role", _("role code"), CodeWidget(Role))
    responsibility, responsibility_en, responsibility_zh_hant = text_columns(
        TeamMember, "responsibility"
    )
    allocation = column("allocation", _label(TeamMember, "allocation"), WholeNumberWidget())
    sort_order = column("sort_order", _label(TeamMember, "sort_order"), WholeNumberWidget())

    class Meta:
        model = TeamMember
        import_id_fields = ("team", "role")
        fields = (
            "team",
            "role",
            *text_keys("responsibility"),
            "allocation",
            "sort_order",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("team", "role").order_by("team__code", "sort_order", "pk")
