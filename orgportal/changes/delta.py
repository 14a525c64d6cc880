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
    ("teams_added", _("Project teams added")),
    ("teams_removed", _("Project teams removed")),
    ("teams_members", _("Project team members changed")),
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


def _compare(before, after, sections, *, text, hidden, place=None, names=None, renamed=None):
    """Add the lines of the objects in ``after`` against ``before`` (rows by id): added,
    removed (archived or gone), moved (``place`` changed) and renamed (``text`` changed)."""
    added, removed, moved = sections
    for pk, row in after.items():
        if pk in hidden:
            continue
        old = before.get(pk)
        line = DeltaLine(row["code"], localized(row, text))
        if old is None:
            if place:
                line.after = names.get(row[place], "")
            added.lines.append(line)
            continue
        if old["is_active"] and not row["is_active"]:
            removed.lines.append(line)
        if place and old[place] != row[place]:
            line.before = names.get(old[place], "")
            line.after = names.get(row[place], "")
            moved.lines.append(line)
        if renamed is not None and localized(old, text) != localized(row, text):
            renamed.lines.append(DeltaLine(row["code"], localized(row, text), localized(old, text)))
    for pk, old in before.items():
        if pk not in after and pk not in hidden:
            removed.lines.append(DeltaLine(old["code"], localized(old, text)))


def _by_id(rows):
    return {row["id"]: row for row in rows}


def delta_report(
    start, end, *, hidden_departments=(), hidden_roles=(), hidden_teams=()
) -> list[DeltaSection]:
    """Compare the organisation at ``start`` and at ``end``; fourteen queries whatever the dates.

    Lines about departments in ``hidden_departments``, roles in ``hidden_roles`` or teams in
    ``hidden_teams`` (ids: what the reader may not see now) are left out.
    """
    before, after = rows_as_of(start), rows_as_of(end)
    sections = {key: DeltaSection(key, label) for key, label in SECTIONS}
    names = {}
    for rows in (before, after):
        for row in rows.departments:
            names[row["id"]] = localized(row, "name")
    _compare(
        _by_id(before.departments),
        _by_id(after.departments),
        [sections[f"departments_{key}"] for key in ("added", "removed", "moved")],
        text="name",
        hidden=hidden_departments,
        place="parent_id",
        names=names,
        renamed=sections["departments_renamed"],
    )
    _compare(
        _by_id(before.roles),
        _by_id(after.roles),
        [sections[f"roles_{key}"] for key in ("added", "archived", "moved")],
        text="title",
        hidden=hidden_roles,
        place="department_id",
        names=names,
    )
    titles = {}
    for rows in (before, after):
        for row in rows.roles:
            titles[row["id"]] = row
    _compare_duties(before, after, sections, titles, hidden_roles)
    _compare(
        _by_id(before.teams),
        _by_id(after.teams),
        [sections["teams_added"], sections["teams_removed"], None],
        text="name",
        hidden=hidden_teams,
    )
    _compare_members(before, after, sections["teams_members"], titles, hidden_teams, hidden_roles)
    return list(sections.values())


def _role_line(titles, role_id, **values):
    role = titles.get(role_id)
    code, title = (role["code"], localized(role, "title")) if role else ("", "")
    return DeltaLine(code, title, **values)


def _compare_duties(before, after, sections, titles, hidden_roles):
    old_duties, new_duties = _by_id(before.duties), _by_id(after.duties)
    for pk, row in new_duties.items():
        if row["role_id"] in hidden_roles:
            continue
        old = old_duties.get(pk)
        if old is None:
            sections["duties_added"].lines.append(
                _role_line(titles, row["role_id"], after=localized(row, "text"))
            )
        elif (localized(old, "text"), localized(old, "area")) != (
            localized(row, "text"),
            localized(row, "area"),
        ):
            sections["duties_changed"].lines.append(
                _role_line(
                    titles,
                    row["role_id"],
                    before=localized(old, "text"),
                    after=localized(row, "text"),
                )
            )
    for pk, old in old_duties.items():
        if pk in new_duties or old["role_id"] in hidden_roles:
            continue
        sections["duties_removed"].lines.append(
            _role_line(titles, old["role_id"], before=localized(old, "text"))
        )


def _compare_members(before, after, section, titles, hidden_teams, hidden_roles):
    """One line per team whose members changed: who left (before) and who joined (after)."""
    teams = {**_by_id(before.teams), **_by_id(after.teams)}

    def members(rows):
        found = {}
        for member in rows.members:
            if member["role_id"] not in hidden_roles:
                found.setdefault(member["team_id"], set()).add(member["role_id"])
        return found

    old, new = members(before), members(after)
    for team_id in sorted(set(old) | set(new), key=lambda pk: teams[pk]["code"]):
        if team_id in hidden_teams or team_id not in teams:
            continue
        left = old.get(team_id, set()) - new.get(team_id, set())
        joined = new.get(team_id, set()) - old.get(team_id, set())
        if not (left or joined):
            continue
        team = teams[team_id]

        def listed(ids):
            return ", ".join(sorted(localized(titles[pk], "title") for pk in ids if pk in titles))

        section.lines.append(
            DeltaLine(team["code"], localized(team, "name"), listed(left), listed(joined))
        )
