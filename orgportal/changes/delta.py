"""The delta report: what changed in the organisation between two moments."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from orgportal.changes.states import rows_as_of
from orgportal.i18n import localized

SECTIONS = (
    ("departments_added", _("Departments added")),
    ("departments_removed", _("Departments removed")),
    ("departments_moved", _("Departments moved")),
    ("departments_renamed", _("Departments renamed")),
    ("roles_added", _("Roles added")),
    ("roles_archived", _("Roles archived")),
    ("roles_moved", _("Roles moved between departments")),
    ("duties_added", _("Duties added")),
    ("duties_removed", _("Duties removed")),
    ("duties_changed", _("Duties changed")),
)


@dataclass
class DeltaLine:
    code: str
    name: str
    before: str = ""
    after: str = ""


@dataclass
class DeltaSection:
    key: str
    label: str
    lines: list = field(default_factory=list)


def delta_report(start, end, *, hidden_departments=(), hidden_roles=()) -> list[DeltaSection]:
    """Compare the organisation at ``start`` and at ``end``; six queries whatever the dates.

    Lines about departments in ``hidden_departments`` or roles in ``hidden_roles`` (ids: what
    the reader may not see now) are left out.
    """
    before, after = rows_as_of(start), rows_as_of(end)
    sections = {key: DeltaSection(key, label) for key, label in SECTIONS}
    names = {}
    for rows in (before, after):
        for row in rows.departments:
            names[row["id"]] = localized(row, "name")
    old_departments = {row["id"]: row for row in before.departments}
    new_departments = {row["id"]: row for row in after.departments}
    for pk, row in new_departments.items():
        if pk in hidden_departments:
            continue
        old = old_departments.get(pk)
        line = DeltaLine(row["code"], localized(row, "name"))
        if old is None:
            line.after = names.get(row["parent_id"], "")
            sections["departments_added"].lines.append(line)
            continue
        if old["is_active"] and not row["is_active"]:
            sections["departments_removed"].lines.append(line)
        if old["parent_id"] != row["parent_id"]:
            line.before = names.get(old["parent_id"], "")
            line.after = names.get(row["parent_id"], "")
            sections["departments_moved"].lines.append(line)
        if localized(old, "name") != localized(row, "name"):
            sections["departments_renamed"].lines.append(
                DeltaLine(row["code"], localized(row, "name"), localized(old, "name"))
            )
    for pk, old in old_departments.items():
        if pk not in new_departments and pk not in hidden_departments:
            sections["departments_removed"].lines.append(
                DeltaLine(old["code"], localized(old, "name"))
            )
    old_roles = {row["id"]: row for row in before.roles}
    new_roles = {row["id"]: row for row in after.roles}
    for pk, row in new_roles.items():
        if pk in hidden_roles:
            continue
        old = old_roles.get(pk)
        line = DeltaLine(row["code"], localized(row, "title"))
        if old is None:
            line.after = names.get(row["department_id"], "")
            sections["roles_added"].lines.append(line)
            continue
        if old["is_active"] and not row["is_active"]:
            sections["roles_archived"].lines.append(line)
        if old["department_id"] != row["department_id"]:
            line.before = names.get(old["department_id"], "")
            line.after = names.get(row["department_id"], "")
            sections["roles_moved"].lines.append(line)
    for pk, old in old_roles.items():
        if pk not in new_roles and pk not in hidden_roles:
            sections["roles_archived"].lines.append(DeltaLine(old["code"], localized(old, "title")))
    titles = {}
    for rows in (before, after):
        for row in rows.roles:
            titles[row["id"]] = row
    old_duties = {row["id"]: row for row in before.duties}
    new_duties = {row["id"]: row for row in after.duties}
    for pk, row in new_duties.items():
        if row["role_id"] in hidden_roles:
            continue
        role = titles.get(row["role_id"])
        code, title = (role["code"], localized(role, "title")) if role else ("", "")
        old = old_duties.get(pk)
        if old is None:
            sections["duties_added"].lines.append(
                DeltaLine(code, title, after=localized(row, "text"))
            )
        elif (localized(old, "text"), localized(old, "area")) != (
            localized(row, "text"),
            localized(row, "area"),
        ):
            sections["duties_changed"].lines.append(
                DeltaLine(code, title, localized(old, "text"), localized(row, "text"))
            )
    for pk, old in old_duties.items():
        if pk in new_duties or old["role_id"] in hidden_roles:
            continue
        role = titles.get(old["role_id"])
        code, title = (role["code"], localized(role, "title")) if role else ("", "")
        sections["duties_removed"].lines.append(
            DeltaLine(code, title, before=localized(old, "text"))
        )
    return list(sections.values())
