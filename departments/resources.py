"""Departments in HR's spreadsheets: one row per department, its parent named by code.

The import goes through Department.save(), so every insert and move takes the tree lock, and
the archived rule (nothing active under an archived department) refuses a row as its error.
Rows may come in any order: a department is imported after its parent (see OrgResource).
"""

from django.utils.translation import gettext_lazy as _

from departments.models import Department
from orgportal.orgfiles.spreadsheets import (
    ActiveWidget,
    CodeWidget,
    OrgResource,
    ReadOnlyColumn,
    column,
    text_columns,
    text_keys,
)

TEXTS = ("name", "tagline", "positioning", "description")


def _label(name):
    return Department._meta.get_field(name).verbose_name


class DepartmentResource(OrgResource):
    # The whole-organisation workbook's columns for readers (orgportal/orgfiles/workbook.py).
    path = ReadOnlyColumn(_("path"))
    code = column("code", _label("code"))
    parent = column("parent", _("parent department code"), CodeWidget(Department))
    # Every language's column of each text (orgportal/i18n.py), so that nothing is lost.
    name, name_en, name_zh_hant = text_columns(Department, "name")
    tagline, tagline_en, tagline_zh_hant = text_columns(Department, "tagline")
    positioning, positioning_en, positioning_zh_hant = text_columns(Department, "positioning")
    description, description_en, description_zh_hant = text_columns(Department, "description")
    is_active = column("is_active", _label("is_active"), ActiveWidget())
    roles = ReadOnlyColumn(_("roles in the department"))
    seats = ReadOnlyColumn(_("planned seats in branch"))
    seats_unknown = ReadOnlyColumn(_("roles in branch without planned seats"))

    references = "parent"

    class Meta:
        model = Department
        import_id_fields = ("code",)
        fields = (
            "path",
            "code",
            "parent",
            *text_keys(*TEXTS),
            "is_active",
            "roles",
            "seats",
            "seats_unknown",
        )

    def filter_export(self, queryset, **kwargs):
        # Parents before their children, so that the file imports in its own order too.
        return queryset.select_related("parent").order_by("tree_id", "lft")
