"""Roles and duties in HR's spreadsheets: roles by code, duties by role code and position.

Roles name their department and the role they report to by code; a role is imported after the
role it reports to when both are in the file. Every row goes through the model's save().
"""

from django.utils.translation import gettext_lazy as _

from departments.models import Department
from orgportal.orgfiles.spreadsheets import (
    ActiveWidget,
    CodeWidget,
    OrgResource,
    PositionWidget,
    ReadOnlyColumn,
    WholeNumberWidget,
    column,
    text_columns,
    text_keys,
)
from roles.models import Duty, Role


def _label(model, name):
    return model._meta.get_field(name).verbose_name


class RoleResource(OrgResource):
    # The whole-organisation workbook's columns for readers (orgportal/orgfiles/workbook.py).
    department_path = ReadOnlyColumn(_("department path"))
    code = column("code", _label(Role, "code"))
    department = column("department", _("department code"), CodeWidget(Department))
    title, title_en, title_zh_hant = text_columns(Role, "title")
    summary, summary_en, summary_zh_hant = text_columns(Role, "summary")
    reports_to_title = ReadOnlyColumn(_label(Role, "reports_to"))
    reports_to = column("reports_to", _("reports to (role code)"), CodeWidget(Role))
    headcount = column("headcount", _label(Role, "headcount"), WholeNumberWidget())
    sort_order = column("sort_order", _label(Role, "sort_order"), WholeNumberWidget())
    is_active = column("is_active", _label(Role, "is_active"), ActiveWidget())

    references = "reports_to"

    class Meta:
        model = Role
        import_id_fields = ("code",)
        fields = (
            "department_path",
            "code",
            "department",
            *text_keys("title", "summary"),
            "reports_to_title",
            "reports_to",
            "headcount",
            "sort_order",
            "is_active",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("department", "reports_to")


class DutyResource(OrgResource):
    role = column("role", _("role code"), CodeWidget(Role))
    role_title = ReadOnlyColumn(Role._meta.verbose_name)
    sort_order = column("sort_order", _("position"), PositionWidget())
    area, area_en, area_zh_hant = text_columns(Duty, "area")
    text, text_en, text_zh_hant = text_columns(Duty, "text")

    class Meta:
        model = Duty
        import_id_fields = ("role", "sort_order")
        fields = ("role", "role_title", "sort_order", *text_keys("area", "text"))

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("role").in_org_order()
