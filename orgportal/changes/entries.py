"""Changes as sentences, with the values before and after: the changes page and its CSV."""

from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from orgportal.changes.feed import record_fields
from orgportal.changes.kinds import previous_records
from orgportal.changes.records import HISTORY_MODELS
from orgportal.i18n import columns, localized

# Where a change was made, as the changes page says it (the CSV and the feed keep the code).
SOURCES = {
    "admin": _("the admin"),
    "api": _("the API"),
    "web": _("the portal"),
    "shell": _("the shell"),
    "migration": _("the history's first record"),
    "script": _("a script"),
}


@dataclass
class Entry:
    seq: int
    at: object
    model: str
    kinds: list
    user: str
    reason: str
    source: str
    sentence: str
    values: list = field(default_factory=list)  # (what, before, after)
    url: str = ""

    @property
    def source_label(self) -> str:
        """The source in the reader's language: "the admin", "command import_org"."""
        if self.source.startswith("command:"):
            return gettext("command %(name)s") % {"name": self.source.removeprefix("command:")}
        label = SOURCES.get(self.source)
        return str(label) if label else self.source


def change_entries(changes, *, show_hidden=True) -> list[Entry]:
    """Return the entries of ``changes`` (Change rows as dicts), in their order.

    Per model: one query for the records and up to two for the records before them; one more
    for the names of the departments they mention, and one for the roles'. Without
    ``show_hidden`` (a reader who may not see archived items), a department or role hidden now
    is not named where a visible one's change mentions it (a role moved out of an archived
    department, a team's Owner before): one query more for each.
    """
    wanted = {}
    for change in changes:
        wanted.setdefault(change["model"], []).append(change["history_id"])
    records, previous = {}, {}
    for label, ids in wanted.items():
        historical = HISTORY_MODELS[label]
        fields = record_fields(historical)
        rows = list(
            historical.objects.filter(history_id__in=ids).values(
                *fields,
                "history_id",
                "history_type",
                "history_date",
                "history_change_reason",
                "history_source",
                "history_user__username",
            )
        )
        for row in rows:
            records[label, row["history_id"]] = row
        updates = [_Record(row) for row in rows if row["history_type"] != "+"]
        for history_id, row in previous_records(historical, updates, fields).items():
            previous[label, history_id] = row
    names = _department_names(records.values(), previous.values(), show_hidden=show_hidden)
    role_titles = _role_titles(records, previous, show_hidden=show_hidden)
    role_titles.update(_team_names(records))
    entries = []
    for change in changes:
        key = change["model"], change["history_id"]
        record = records[key]
        before = previous.get(key)
        describe = DESCRIBERS[change["model"]]
        record["kinds"] = change["kinds"].split(",")
        sentence, values = describe(record, before, names, role_titles)
        entries.append(
            Entry(
                seq=change["seq"],
                at=record["history_date"],
                model=change["model"],
                kinds=change["kinds"].split(","),
                user=record["history_user__username"] or "",
                reason=record["history_change_reason"] or "",
                source=record["history_source"],
                sentence=sentence,
                values=values,
            )
        )
    return entries


class _Record:
    def __init__(self, row):
        self.id = row["id"]
        self.history_id = row["history_id"]


def _department_names(*groups, show_hidden=True):
    ids = set()
    for group in groups:
        for row in group:
            for name in ("parent_id", "department_id"):
                if row.get(name):
                    ids.add(row[name])
    rows = Department._base_manager.filter(pk__in=ids).values("pk", *columns("name"))
    names = {row["pk"]: localized(row, "name") for row in rows}
    if not show_hidden:
        _say_hidden(names, Department.objects.hidden(), HIDDEN_DEPARTMENT)
    return names


def _role_titles(records, previous, *, show_hidden=True):
    """Return the titles of the roles that duty, team and member records name (one query, and
    one more for those hidden from the reader)."""
    from roles.models import Role

    ids = set()
    for group in (records, previous):
        for (label, _id), row in group.items():
            for name in ROLE_REFERENCES.get(label, ()):
                if row.get(name):
                    ids.add(row[name])
    if not ids:
        return {}
    rows = Role._base_manager.filter(pk__in=ids).values("pk", *columns("title"))
    titles = {row["pk"]: localized(row, "title") for row in rows}
    if not show_hidden:
        _say_hidden(titles, Role.objects.hidden(), HIDDEN_ROLE)
    return titles


def _say_hidden(names, hidden, placeholder):
    """Replace the names (by pk) of the rows of ``hidden`` with ``placeholder`` (one query)."""
    if names:
        ids = hidden.filter(pk__in=names).values_list("pk", flat=True)
        names.update(dict.fromkeys(ids, placeholder))


# What a change of something visible says of a department or role hidden from the reader.
HIDDEN_DEPARTMENT = _("(an archived department)")
HIDDEN_ROLE = _("(an archived role)")


def _team_names(records):
    """Return the names of the teams that member records belong to, keyed ("team", id)."""
    from teams.models import ProjectTeam

    ids = {row["team_id"] for (label, _id), row in records.items() if label == "teams.teammember"}
    if not ids:
        return {}
    rows = ProjectTeam._base_manager.filter(pk__in=ids).values("pk", *columns("name"))
    return {("team", row["pk"]): localized(row, "name") for row in rows}


# The columns of each model's records that name a role.
ROLE_REFERENCES = {
    "roles.duty": ("role_id",),
    "teams.projectteam": ("owner_id",),
    "teams.teammember": ("role_id",),
}


def _name(row, field="name"):
    return localized(row, field) or "—"


def _place(names, pk):
    return names.get(pk) or (gettext("(deleted department)") if pk else "—")


def _describe_department(record, before, names, _titles):
    name = _name(record)
    kind = record["history_type"]
    if kind == "+":
        return gettext("%(name)s added under %(parent)s") % {
            "name": name,
            "parent": _place(names, record["parent_id"]),
        }, []
    if kind == "-":
        return gettext("%(name)s deleted") % {"name": name}, []
    return _describe_update(record, before, name, "name", "parent_id", names, gettext("department"))


def _describe_role(record, before, names, _titles):
    name = _name(record, "title")
    kind = record["history_type"]
    if kind == "+":
        return gettext("Role %(name)s added in %(department)s") % {
            "name": name,
            "department": _place(names, record["department_id"]),
        }, []
    if kind == "-":
        return gettext("Role %(name)s deleted") % {"name": name}, []
    return _describe_update(record, before, name, "title", "department_id", names, gettext("role"))


def _describe_update(record, before, name, text, place, names, what):
    if before is None:
        return gettext("%(name)s changed") % {"name": name}, []
    values = []
    parts = []
    old_name = _name(before, text)
    if old_name != name:
        parts.append(gettext("%(old)s renamed to %(new)s") % {"old": old_name, "new": name})
        values.append((gettext("name"), old_name, name))
    if before.get(place) != record.get(place):
        old, new = _place(names, before.get(place)), _place(names, record.get(place))
        parts.append(
            gettext("%(name)s moved from %(old)s to %(new)s")
            % {"name": name, "old": old, "new": new}
        )
        values.append((what, old, new))
    elif "moved" in record["kinds"]:
        parts.append(gettext("%(name)s reordered") % {"name": name})
        values.append(
            (gettext("position"), before.get("sibling_position"), record["sibling_position"])
        )
    if before.get("is_active") and not record.get("is_active"):
        parts.append(gettext("%(name)s archived") % {"name": name})
    elif before.get("is_active") is False and record.get("is_active"):
        parts.append(gettext("%(name)s restored") % {"name": name})
    for column in _changed_texts(record, before, exclude=(text,)):
        values.append((column, before.get(column), record.get(column)))
    if "headcount" in record and before.get("headcount") != record.get("headcount"):
        values.append((gettext("planned seats"), before.get("headcount"), record["headcount"]))
    if not parts:
        parts.append(gettext("%(name)s edited") % {"name": name})
    return "; ".join(parts), values


def _changed_texts(record, before, exclude):
    skip = set(columns(*exclude)) | {"zh_hant_auto"}
    return [
        key
        for key in record
        if "_" in key
        and key.rsplit("_", 1)[-1] in ("hans", "en", "hant")
        and key not in skip
        and before.get(key) != record.get(key)
    ]


def _describe_duty(record, before, names, titles):
    role = titles.get(record["role_id"]) or gettext("(deleted role)")
    text = _name(record, "text")
    number = record["sort_order"] + 1
    kind = record["history_type"]
    if kind == "+":
        return gettext("%(role)s: duty %(number)d added: %(text)s") % {
            "role": role,
            "number": number,
            "text": text,
        }, []
    if kind == "-":
        return gettext("%(role)s: duty removed: %(text)s") % {"role": role, "text": text}, []
    old = _name(before, "text") if before else ""
    values = [(gettext("duty"), old, text)] if before and old != text else []
    return gettext("%(role)s: duty %(number)d changed to %(text)s") % {
        "role": role,
        "number": number,
        "text": text,
    }, values


def _describe_profile(record, before, names, titles):
    """The profile's mode and stage with their labels (矩阵型), not their codes (matrix)."""
    from orgportal.guide.models import OrganisationProfile

    values = []
    for name in ("mode", "stage"):
        if before is not None and before.get(name) == record.get(name):
            continue
        if before is None and not record.get(name):
            continue  # set up without it: nothing to say
        field = OrganisationProfile._meta.get_field(name)
        labels = dict(field.choices)
        old = before.get(name) if before else None
        values.append(
            (
                str(field.verbose_name),
                str(labels.get(old, old)) if old else None,
                str(labels.get(record.get(name), record.get(name))) if record.get(name) else None,
            )
        )
    return gettext("Organisation profile changed"), values


def _role(titles, pk):
    return titles.get(pk) or (gettext("(deleted role)") if pk else "—")


def _describe_team(record, before, names, titles):
    name = _name(record)
    kind = record["history_type"]
    if kind == "+":
        return gettext("Project team %(name)s added, Owner %(owner)s") % {
            "name": name,
            "owner": _role(titles, record["owner_id"]),
        }, []
    if kind == "-":
        return gettext("Project team %(name)s deleted") % {"name": name}, []
    if before is None:
        return gettext("%(name)s changed") % {"name": name}, []
    parts, values = [], []
    old_name = _name(before)
    if old_name != name:
        parts.append(gettext("%(old)s renamed to %(new)s") % {"old": old_name, "new": name})
        values.append((gettext("name"), old_name, name))
    if before.get("owner_id") != record.get("owner_id"):
        old, new = _role(titles, before.get("owner_id")), _role(titles, record.get("owner_id"))
        parts.append(
            gettext("%(name)s: Owner %(old)s replaced by %(new)s")
            % {"name": name, "old": old, "new": new}
        )
        values.append((gettext("project Owner"), old, new))
    if before.get("is_active") and not record.get("is_active"):
        parts.append(gettext("%(name)s archived") % {"name": name})
    elif before.get("is_active") is False and record.get("is_active"):
        parts.append(gettext("%(name)s restored") % {"name": name})
    if before.get("status") != record.get("status"):
        old, new = _status(before.get("status")), _status(record.get("status"))
        parts.append(
            gettext("%(name)s: status %(old)s changed to %(new)s")
            % {"name": name, "old": old, "new": new}
        )
        values.append((gettext("status"), old, new))
    for column in ("starts_on", "ends_on"):
        if before.get(column) != record.get(column):
            values.append((column, before.get(column), record.get(column)))
    for column in _changed_texts(record, before, exclude=("name",)):
        values.append((column, before.get(column), record.get(column)))
    if not parts:
        parts.append(gettext("%(name)s edited") % {"name": name})
    return "; ".join(parts), values


def _status(value):
    from teams.models import ProjectTeam

    return str(dict(ProjectTeam.Status.choices).get(value, value or "—"))


def _describe_member(record, before, names, titles):
    values = {
        "team": titles.get(("team", record["team_id"])) or gettext("(deleted team)"),
        "role": _role(titles, record["role_id"]),
    }
    kind = record["history_type"]
    if kind == "+":
        return gettext("%(team)s: member %(role)s joined") % values, []
    if kind == "-":
        return gettext("%(team)s: member %(role)s left") % values, []
    changes = []
    if before is not None:
        for column in _changed_texts(record, before, exclude=()):
            changes.append((column, before.get(column), record.get(column)))
        for column, label in (
            ("allocation", gettext("allocation (%)")),
            ("sort_order", gettext("position")),
        ):
            if before.get(column) != record.get(column):
                changes.append((label, before.get(column), record.get(column)))
    return gettext("%(team)s: member %(role)s changed") % values, changes


DESCRIBERS = {
    "guide.organisationprofile": _describe_profile,
    "departments.department": _describe_department,
    "roles.role": _describe_role,
    "roles.duty": _describe_duty,
    "teams.projectteam": _describe_team,
    "teams.teammember": _describe_member,
}
