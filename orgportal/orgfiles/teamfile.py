"""The ``teams:`` section of organisation files: read it, plan and apply it, write it.

A team names its Owner and its members by role code; each must be a role of the file or of
the organisation. Teams are matched by ``code``, their members by role. Like duties, members
the file no longer lists are kept and reported (imports never delete); ``--prune`` archives
the teams the file no longer lists.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import F
from django.utils import timezone

from departments.locking import gone, lock_rows
from departments.services import BulkWrites
from orgportal.i18n import column, columns, to_traditional
from orgportal.orgfiles.orgfile import LANGUAGE_SUFFIXES, OrgFileError, text_columns, text_keys
from roles.models import Role
from teams.models import ProjectTeam, TeamMember

TEAM_TEXTS = ("name", "purpose")
MEMBER_TEXTS = ("responsibility",)
STATUSES = ("planned", "active", "closed")


TEAM_KEYS = (
    "code",
    *text_keys(TEAM_TEXTS),
    "owner",
    "status",
    "starts_on",
    "ends_on",
    "is_active",
    "members",
)
MEMBER_KEYS = ("role", *text_keys(MEMBER_TEXTS), "allocation")
# What the file sets of a team and of a member, by file key.
TEAM_FIELDS = (*text_keys(TEAM_TEXTS), "owner", "status", "starts_on", "ends_on", "is_active")
MEMBER_FIELDS = (*text_keys(MEMBER_TEXTS), "allocation")
COLUMNS = {
    f"{name}{suffix}": column(name, language)
    for name in (*TEAM_TEXTS, *MEMBER_TEXTS)
    for language, suffix in LANGUAGE_SUFFIXES.items()
}
KEYS = {name: key for key, name in COLUMNS.items()} | {"owner": "owner", "role": "role"}


@dataclass
class MemberSpec:
    place: str
    role: str
    texts: dict[str, str]
    allocation: int | None


@dataclass
class TeamSpec:
    place: str
    code: str
    texts: dict[str, str]
    owner: str
    status: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    is_active: bool
    members: list[MemberSpec] = field(default_factory=list)

    @property
    def name(self):
        return self.texts["name"]


def read_teams(reader, data) -> list[TeamSpec]:
    """Read the file's ``teams:`` list with the organisation reader, placing every error."""
    teams = []
    places = {}
    for index, item in enumerate(reader.sequence(data, "teams", "")):
        place = f"teams[{index}]"
        prefix = f"{place}."
        if not isinstance(item, dict):
            reader.error(place, "must be a mapping with at least code, name and owner")
            continue
        reader.unknown_keys(item, TEAM_KEYS, prefix)
        status = item.get("status", "planned")
        if status not in STATUSES:
            reader.error(f"{prefix}status", f"must be one of {', '.join(STATUSES)}")
            status = "planned"
        starts_on = _date(reader, item, "starts_on", prefix)
        ends_on = _date(reader, item, "ends_on", prefix)
        if starts_on and ends_on and ends_on < starts_on:
            reader.error(f"{prefix}ends_on", "must not be before starts_on")
        spec = TeamSpec(
            place=place,
            code=reader.code(item, prefix, places, "team"),
            texts={
                key: reader.text(item, key, prefix, required=key == "name")
                for key in text_keys(TEAM_TEXTS)
            },
            owner=reader.text(item, "owner", prefix, required=True),
            status=status,
            starts_on=starts_on,
            ends_on=ends_on,
            is_active=reader.boolean(item, "is_active", prefix),
        )
        seen = {}
        for member_index, member in enumerate(reader.sequence(item, "members", prefix)):
            member_place = f"{prefix}members[{member_index}]"
            member_spec = _member(reader, member, member_place)
            if member_spec is None or not member_spec.role:
                continue
            if member_spec.role in seen:
                reader.error(
                    f"{member_place}.role",
                    f'role "{member_spec.role}" is already a member (at {seen[member_spec.role]})',
                )
                continue
            seen[member_spec.role] = member_place
            spec.members.append(member_spec)
        teams.append(spec)
    return teams


def _member(reader, data, place):
    prefix = f"{place}."
    if not isinstance(data, dict):
        reader.error(place, "must be a mapping with at least role")
        return None
    reader.unknown_keys(data, MEMBER_KEYS, prefix)
    allocation = data.get("allocation")
    if allocation is not None and (
        not isinstance(allocation, int)
        or isinstance(allocation, bool)
        or not 1 <= allocation <= 100
    ):
        reader.error(f"{prefix}allocation", "must be a whole number from 1 to 100 (percent)")
        allocation = None
    return MemberSpec(
        place=place,
        role=reader.text(data, "role", prefix, required=True),
        texts={key: reader.text(data, key, prefix) for key in text_keys(MEMBER_TEXTS)},
        allocation=allocation,
    )


def _date(reader, data, key, prefix):
    value = data.get(key)
    if (
        value is None
        or isinstance(value, datetime.date)
        and not isinstance(value, datetime.datetime)
    ):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    reader.error(f"{prefix}{key}", "must be a date such as 2026-06-18")
    return None


def check_team_roles(teams, role_codes):
    """Return the placed errors of Owners and members that are not roles of ``role_codes``."""
    errors = []
    for spec in teams:
        if spec.owner and spec.owner not in role_codes:
            errors.append((f"{spec.place}.owner", f'unknown role "{spec.owner}"'))
        for member in spec.members:
            if member.role not in role_codes:
                errors.append((f"{member.place}.role", f'unknown role "{member.role}"'))
    return errors


def _stored(row, keys):
    """Return a stored row's values of file ``keys``; an automatic traditional text is ""."""
    automatic = row["zh_hant_auto"] or ()
    values = {}
    for key in keys:
        if key.endswith("_zh_hant") and key.removesuffix("_zh_hant") in automatic:
            values[key] = ""
        else:
            value = row[COLUMNS.get(key, key)]
            values[key] = "" if value is None and key in COLUMNS else value
    return values


def _wanted(spec, keys):
    """Return what the file wants; a traditional text equal to the conversion is automatic."""
    values = {}
    for key in keys:
        value = spec.texts[key] if key in COLUMNS else getattr(spec, key)
        source = key.removesuffix("_zh_hant")
        if key != source and value and value == to_traditional(spec.texts[source]):
            value = ""
        values[key] = value
    return values


def team_rows(teams):
    """Return ``teams`` as rows of what the file holds of a team, the Owner by role code."""
    return teams.values(
        "pk",
        "code",
        "status",
        "starts_on",
        "ends_on",
        "is_active",
        "zh_hant_auto",
        *columns(*TEAM_TEXTS),
        owner_code=F("owner__code"),
    )


def teams_import(*, spec, report, prune: bool, apply: bool, writes=None) -> None:
    """Plan (``apply`` off) or apply the file's teams; record each change in ``report``.

    Planning validates each new or changed team and member (its fields, as the model does;
    the reader already refused what a constraint would: duplicate members, a team ending
    before it starts, an allocation outside 1–100). Applying writes them in bulk through
    ``writes`` (orgportal.changes records the history), teams before their new members.
    Roles must exist when it applies: organisation_import calls it after the roles.
    """
    teams = spec.teams
    role_pks = dict(Role.objects.values_list("code", "pk"))
    errors = check_team_roles(teams, set(role_pks) | {role.code for role in spec.roles})
    if errors:
        raise OrgFileError(errors)
    if not teams and not prune:
        return
    stored = {row["code"]: row for row in team_rows(ProjectTeam.objects.all())}
    for row in stored.values():
        row["owner"] = row.pop("owner_code")
    members = {}
    for row in TeamMember.objects.order_by("team_id", "sort_order", "pk").values(
        "pk",
        "team_id",
        "sort_order",
        "allocation",
        "zh_hant_auto",
        *columns(*MEMBER_TEXTS),
        role_code=F("role__code"),
    ):
        members.setdefault(row["team_id"], []).append(row)

    now = timezone.now()
    writes_ = _TeamWrites()
    for team_spec in teams:
        label = f"team {team_spec.code} ({team_spec.name})"
        wanted = _wanted(team_spec, TEAM_FIELDS)
        row = stored.get(team_spec.code)
        changed = (
            list(TEAM_FIELDS)
            if row is None
            else [k for k in TEAM_FIELDS if _stored(row, [k])[k] != wanted[k]]
        )
        team_pk = row["pk"] if row else None
        team = None
        if row is None or changed:
            team = ProjectTeam(pk=team_pk, code=team_spec.code)
            for key, value in wanted.items():
                if key == "owner":
                    team.owner_id = role_pks.get(value)
                else:
                    setattr(team, COLUMNS.get(key, key), value)
            if not apply:
                _validate(team, team_spec.place, exclude=["owner"])
            _fill_texts(team, wanted, TEAM_TEXTS)
            if row is None:
                writes_.new_teams.append(team)
                report.created.append(label)
            else:
                team.updated_at = now
                writes_.changed_teams.append(team)
                report.updated.append(f"{label}: {', '.join(changed)}")
        existing = {m["role_code"]: m for m in members.get(team_pk, [])} if team_pk else {}
        for index, member_spec in enumerate(team_spec.members):
            member_label = f"member {member_spec.role} of {label}"
            wanted = _wanted(member_spec, MEMBER_FIELDS)
            member_row = existing.pop(member_spec.role, None)
            if member_row is None:
                changed = None
            else:
                changed = [k for k in MEMBER_FIELDS if _stored(member_row, [k])[k] != wanted[k]]
                if member_row["sort_order"] != index:
                    changed.append("sort_order")
                if not changed:
                    continue
            member = TeamMember(
                pk=member_row["pk"] if member_row else None,
                team_id=team_pk,
                role_id=role_pks.get(member_spec.role),
                sort_order=index,
            )
            for key, value in wanted.items():
                setattr(member, COLUMNS.get(key, key), value)
            if not apply:
                _validate(member, member_spec.place, exclude=["team", "role"])
            _fill_texts(member, wanted, MEMBER_TEXTS)
            if changed is None:
                # A new team's key is known once the team is written.
                writes_.new_members.append((team, member))
                report.created.append(member_label)
            else:
                writes_.changed_members.append(member)
                report.updated.append(f"{member_label}: {', '.join(changed)}")
        for offset, member_row in enumerate(existing.values(), start=len(team_spec.members)):
            if member_row["sort_order"] != offset:
                writes_.reordered_members.append(TeamMember(pk=member_row["pk"], sort_order=offset))
            report.kept.append(
                f"member {member_row['role_code']} of {label} is not in the file; "
                "imports never remove members"
            )
    if prune:
        listed = {team_spec.code for team_spec in teams}
        for code, row in stored.items():
            if code not in listed and row["is_active"]:
                writes_.archived_teams.append(
                    ProjectTeam(pk=row["pk"], is_active=False, updated_at=now)
                )
                report.archived.append(f"team {code} ({row[column('name', 'zh-hans')]})")
    if apply:
        writes_.apply(writes or BulkWrites())


def _fill_texts(instance, wanted, fields):
    """Set the text columns of ``instance`` as a save fills them from the file's texts."""
    for name, value in text_columns(wanted, fields).items():
        setattr(instance, name, value)


# The columns an update of a team or a member writes; the plain text column (``name``) is
# the active language's text, as a save writes it.
TEAM_UPDATE_FIELDS = [
    *TEAM_TEXTS,
    *columns(*TEAM_TEXTS),
    "zh_hant_auto",
    "owner",
    "status",
    "starts_on",
    "ends_on",
    "is_active",
    "updated_at",
]
MEMBER_UPDATE_FIELDS = [
    *MEMBER_TEXTS,
    *columns(*MEMBER_TEXTS),
    "zh_hant_auto",
    "allocation",
    "sort_order",
]


@dataclass
class _TeamWrites:
    """What an import writes of the teams, in bulk."""

    new_teams: list = field(default_factory=list)
    changed_teams: list = field(default_factory=list)
    archived_teams: list = field(default_factory=list)
    # (team, member): the team is None for a member of a team already stored.
    new_members: list = field(default_factory=list)
    changed_members: list = field(default_factory=list)
    reordered_members: list = field(default_factory=list)

    def apply(self, writes):
        # As the models' saves do (departments.locking.RowLockMixin): the Owners and member
        # roles are held against deletes, the rows updated must still exist.
        roles = {team.owner_id for team in self.new_teams + self.changed_teams}
        roles |= {member.role_id for _team, member in self.new_members}
        roles |= {member.role_id for member in self.changed_members}
        _lock_rows(Role, roles, "reference")
        teams = self.changed_teams + self.archived_teams
        _lock_rows(ProjectTeam, {team.pk for team in teams}, "update")
        team_members = self.changed_members + self.reordered_members
        _lock_rows(TeamMember, {member.pk for member in team_members}, "update")
        writes.create(ProjectTeam, self.new_teams)
        writes.update(ProjectTeam, self.changed_teams, TEAM_UPDATE_FIELDS)
        writes.update(ProjectTeam, self.archived_teams, ["is_active", "updated_at"])
        for team, member in self.new_members:
            if team is not None:
                member.team_id = team.pk
        writes.create(TeamMember, [member for _team, member in self.new_members])
        writes.update(TeamMember, self.changed_members, MEMBER_UPDATE_FIELDS)
        writes.update(TeamMember, self.reordered_members, ["sort_order"])


def _lock_rows(model, pks, mode):
    """Lock the rows ``pks`` of ``model`` until the transaction ends (in one query); raise
    DoesNotExist when one to update was deleted meanwhile."""
    found = lock_rows(model, pks, mode=mode)
    if mode == "update" and found != set(pks):
        raise gone(model())


def _validate(instance, place, exclude):
    """Validate the fields of a new or changed row as full_clean() does, without queries."""
    try:
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
        else:
            errors = {}
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
    except ValidationError as error:
        raise OrgFileError(
            [
                (place if name == NON_FIELD_ERRORS else f"{place}.{KEYS.get(name, name)}", message)
                for name, messages in error.message_dict.items()
                for message in messages
            ]
        ) from error


def teams_data(*, include_archived: bool = True) -> list[dict]:
    """Return the teams as the file's ``teams:`` list, members in order, in two queries."""
    teams = ProjectTeam.objects.order_by("code")
    members = TeamMember.objects.order_by("team_id", "sort_order", "pk")
    if not include_archived:
        teams = teams.visible()
        members = members.filter(
            team__in=teams.values("pk"), role__in=Role.objects.visible().values("pk")
        )
    rows = list(team_rows(teams))
    by_team = {}
    for member in members.values(
        "team_id", "allocation", "zh_hant_auto", *columns(*MEMBER_TEXTS), role_code=F("role__code")
    ):
        by_team.setdefault(member["team_id"], []).append(member)
    for row in rows:
        row["owner"] = row["owner_code"]
        row["id"] = row["pk"]
    return teams_file_data(rows, by_team)


def teams_file_data(teams, members_by_team) -> list[dict]:
    """Return team rows (with ``owner``, the Owner's code) and their member rows (with
    ``role_code``, by team id, in order) as the file's ``teams:`` list."""
    data = []
    for row in teams:
        item = {
            "code": row["code"],
            **_texts(row, TEAM_TEXTS),
            "owner": row["owner"],
            "status": row["status"],
        }
        for key in ("starts_on", "ends_on"):
            if row[key] is not None:
                # A string, so that the YAML and the JSON export hold the same value.
                item[key] = row[key].isoformat()
        if not row["is_active"]:
            item["is_active"] = False
        item["members"] = []
        for member in members_by_team.get(row["id"], []):
            entry = {"role": member["role_code"], **_texts(member, MEMBER_TEXTS)}
            if member["allocation"] is not None:
                entry["allocation"] = member["allocation"]
            item["members"].append(entry)
        data.append(item)
    return data


def _texts(row, fields):
    """Return the texts as the file writes them: the simplified text always, others if any."""
    values = _stored(row, text_keys(fields))
    return {key: value for key, value in values.items() if value or key in fields}
