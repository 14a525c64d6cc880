"""The organisation file: parse and validate its YAML, and write it back out.

The top-level mapping is the root department. Departments nest under ``departments``; roles
and their duties sit under ``roles``. Every error names its place in the file, such as
``departments[2].roles[0].code``.

Every text comes in three keys: the plain key holds the simplified Chinese source (``name``),
``name_en`` the English and ``name_zh_hant`` a traditional Chinese text written by hand. The
export writes a language's key only where it has a text, and never the automatic traditional
conversions, which the portal derives again on import.
"""

import re
from dataclasses import dataclass, field

import yaml

from orgportal.guide.models import MODE_NAMES, STAGE_NAMES
from orgportal.i18n import column, to_traditional

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")
# The largest headcount every supported database stores (PostgreSQL's integer).
MAX_HEADCOUNT = 2_147_483_647
# The key suffix of each content language in the file; the plain key is simplified Chinese.
LANGUAGE_SUFFIXES = {"zh-hans": "", "en": "_en", "zh-hant": "_zh_hant"}
DEPARTMENT_TEXTS = ("name", "tagline", "positioning", "description")
ROLE_TEXTS = ("title", "summary")
DUTY_TEXTS = ("area", "text")


def text_keys(fields):
    """Return the file keys of ``fields`` in every language: name, name_en, name_zh_hant, …"""
    return tuple(f"{name}{suffix}" for name in fields for suffix in LANGUAGE_SUFFIXES.values())


def text_columns(values, fields):
    """Return the columns of ``fields`` from file-keyed ``values``, as a save fills them.

    A traditional text nobody wrote (file key empty) is the automatic conversion of the
    simplified text, and its field is listed in zh_hant_auto (see orgportal.translated).
    """
    columns_ = {}
    automatic = []
    for name in fields:
        source = values[name] or ""
        columns_[column(name, "zh-hans")] = source
        columns_[column(name, "en")] = values[f"{name}_en"] or ""
        written = values[f"{name}_zh_hant"] or ""
        if not written:
            written = to_traditional(source)
            automatic.append(name)
        columns_[column(name, "zh-hant")] = written
    columns_["zh_hant_auto"] = sorted(automatic)
    return columns_


DEPARTMENT_KEYS = (
    "code",
    *text_keys(DEPARTMENT_TEXTS),
    "is_active",
    "parent",
    "roles",
    "departments",
)
ROLE_KEYS = (
    "code",
    *text_keys(ROLE_TEXTS),
    "headcount",
    "reports_to",
    "is_active",
    "duties",
)
DUTY_KEYS = text_keys(DUTY_TEXTS)
# The root alone says the organisation profile (orgportal/guide): the structure mode and the
# business stage, by code or by the seed's Chinese name, null (or left out) when not set.
PROFILE_CHOICES = {"mode": MODE_NAMES, "stage": STAGE_NAMES}
# The root alone holds the organisation profile and the project teams (teamfile.py).
ROOT_KEYS = (*DEPARTMENT_KEYS, *PROFILE_CHOICES, "teams")
MAX_LENGTHS = {
    "code": 64,
    **dict.fromkeys(text_keys(("name", "tagline", "title")), 200),
    **dict.fromkeys(text_keys(("area",)), 100),
}
# Texts that must be given (in simplified Chinese).
REQUIRED_TEXTS = frozenset({"name", "title", "text"})
# libyaml's C loader and dumper are about ten times faster and write the same text.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _OrgLoader(LOADER):
    """A safe loader that refuses duplicate keys instead of keeping the last one silently, and
    reports a key or a date it cannot build as a YAML error at its place in the file."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "a key must be a plain name, not a list or a mapping",
                    key_node.start_mark,
                )
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f'duplicate key "{key}"', key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        # YAML reads 2026-02-30 as a date, and Python refuses it with a ValueError.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None, None, f'"{node.value}" is not a valid date ({error})', node.start_mark
            ) from error


_OrgLoader.add_constructor("tag:yaml.org,2002:map", _OrgLoader.construct_yaml_map)
_OrgLoader.add_constructor("tag:yaml.org,2002:timestamp", _OrgLoader.construct_yaml_timestamp)

HEADER = "# orgportal organisation file (format: README.md, section Organisation files)\n"


class OrgFileError(Exception):
    """The file is not a valid organisation; ``errors`` lists (place, message) pairs."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(f"{place}: {message}" for place, message in self.errors))


@dataclass
class DutySpec:
    texts: dict[str, str]

    @property
    def area(self):
        return self.texts["area"]

    @property
    def text(self):
        return self.texts["text"]


@dataclass
class RoleSpec:
    place: str
    code: str
    texts: dict[str, str]
    headcount: int | None
    reports_to: str | None
    is_active: bool
    duties: list[DutySpec]

    @property
    def title(self):
        return self.texts["title"]


@dataclass
class DepartmentSpec:
    """A department of the file; ``texts`` maps every text key (name, name_en, …) to its text,
    "" where the file gives none."""

    place: str
    code: str
    parent: str | None
    texts: dict[str, str]
    is_active: bool
    roles: list[RoleSpec] = field(default_factory=list)

    @property
    def name(self):
        return self.texts["name"]


@dataclass
class OrganisationSpec:
    """The validated file: departments in pre-order (every parent before its children)."""

    departments: list[DepartmentSpec]
    # The profile's mode and stage ("" for not set), or None when the file says neither.
    profile: dict[str, str] | None = None
    teams: list = field(default_factory=list)

    @property
    def root(self):
        return self.departments[0]

    @property
    def roles(self):
        return [role for department in self.departments for role in department.roles]


def parse_org_file(text: str) -> OrganisationSpec:
    """Parse and validate an organisation file, or raise OrgFileError listing every problem."""
    try:
        # Aliases can nest a file into itself or blow it up; an organisation never needs them.
        # An alias is written with "*": a file without one needs no second parse to find none.
        for event in yaml.parse(text, Loader=LOADER) if "*" in text else ():
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise OrgFileError(
                    [
                        (
                            f"line {mark.line + 1}, column {mark.column + 1}",
                            "YAML aliases (*name) are not allowed in organisation files",
                        )
                    ]
                )
        data = yaml.load(text, Loader=_OrgLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        problem = getattr(error, "problem", None) or str(error)
        raise OrgFileError([(place, f"malformed YAML: {problem}")]) from error
    return validate_org_data(data)


def validate_org_data(data) -> OrganisationSpec:
    """Validate the structure of a loaded organisation file."""
    reader = _Reader()
    if not isinstance(data, dict):
        raise OrgFileError(
            [("file", "the file must be a mapping that describes the root department")]
        )
    # Imported here: the teams' section reads with this module's reader.
    from orgportal.orgfiles.teamfile import read_teams

    reader.department(data, place="", parent=None, top_level=False)
    profile = reader.profile(data)
    teams = read_teams(reader, data)
    if not reader.errors:
        reader.check_references()
    if reader.errors:
        raise OrgFileError(reader.errors)
    return OrganisationSpec(departments=reader.ordered_departments(), profile=profile, teams=teams)


class _Reader:
    def __init__(self):
        self.errors = []
        self.departments = []
        self.department_places = {}
        self.role_places = {}

    def error(self, place, message):
        self.errors.append((place or "file", message))

    def department(self, data, *, place, parent, top_level):
        prefix = f"{place}." if place else ""
        if not isinstance(data, dict):
            self.error(place, "must be a mapping with at least code and name")
            return
        self.unknown_keys(data, DEPARTMENT_KEYS if place else ROOT_KEYS, prefix)
        code = self.code(data, prefix, self.department_places, "department")
        if "parent" in data:
            if not top_level:
                self.error(
                    f"{prefix}parent",
                    "only departments listed directly under the root may name a parent",
                )
            else:
                parent = self.text(data, "parent", prefix, required=True)
        spec = DepartmentSpec(
            place=place,
            code=code,
            parent=parent,
            texts=self.texts(data, DEPARTMENT_TEXTS, prefix),
            is_active=self.boolean(data, "is_active", prefix),
        )
        self.departments.append(spec)
        for index, role in enumerate(self.sequence(data, "roles", prefix)):
            role_spec = self.role(role, place=f"{prefix}roles[{index}]")
            if role_spec is not None:
                spec.roles.append(role_spec)
        for index, child in enumerate(self.sequence(data, "departments", prefix)):
            self.department(
                child, place=f"{prefix}departments[{index}]", parent=code, top_level=not place
            )

    def profile(self, data):
        """Return the root's mode and stage as codes ("" when null), or None without either."""
        if not any(key in data for key in PROFILE_CHOICES):
            return None
        profile = {}
        for key, choices in PROFILE_CHOICES.items():
            value = data.get(key)
            by_name = {name: code for code, name in choices.items()}
            if value is None:
                profile[key] = ""
            elif isinstance(value, str) and (value in choices or value in by_name):
                profile[key] = by_name.get(value, value)
            else:
                names = ", ".join(f"{code} ({name})" for code, name in choices.items())
                self.error(key, f"must be one of {names}, or null when not set")
                profile[key] = ""
        return profile

    def role(self, data, *, place):
        prefix = f"{place}."
        if not isinstance(data, dict):
            self.error(place, "must be a mapping with at least code and title")
            return None
        self.unknown_keys(data, ROLE_KEYS, prefix)
        # No headcount (or null) means that the planned seats are not known.
        headcount = data.get("headcount")
        if headcount is not None and (
            not isinstance(headcount, int)
            or isinstance(headcount, bool)
            or not 0 <= headcount <= MAX_HEADCOUNT
        ):
            self.error(
                f"{prefix}headcount",
                f"must be a whole number from 0 to {MAX_HEADCOUNT}, or left out when unknown",
            )
            headcount = None
        reports_to = data.get("reports_to")
        if reports_to is not None and not isinstance(reports_to, str):
            self.error(f"{prefix}reports_to", "must be the code of another role")
            reports_to = None
        duties = []
        for index, duty in enumerate(self.sequence(data, "duties", prefix)):
            duty_place = f"{prefix}duties[{index}]"
            if isinstance(duty, str):
                duty = {"text": duty}
            if not isinstance(duty, dict):
                self.error(duty_place, "must be a mapping with text (and optionally area)")
                continue
            self.unknown_keys(duty, DUTY_KEYS, f"{duty_place}.")
            duties.append(DutySpec(texts=self.texts(duty, DUTY_TEXTS, f"{duty_place}.")))
        return RoleSpec(
            place=place,
            code=self.code(data, prefix, self.role_places, "role"),
            texts=self.texts(data, ROLE_TEXTS, prefix),
            headcount=headcount,
            reports_to=reports_to,
            is_active=self.boolean(data, "is_active", prefix),
            duties=duties,
        )

    def code(self, data, prefix, places, kind):
        code = self.text(data, "code", prefix, required=True)
        if not code:
            return code
        if not SLUG_RE.fullmatch(code):
            self.error(f"{prefix}code", f'"{code}" must use only ASCII letters, digits, - and _')
        elif code in places:
            self.error(
                f"{prefix}code",
                f'duplicate code "{code}" (first used at {places[code] or "the root"})',
            )
        else:
            places[code] = prefix.rstrip(".")
        return code

    def texts(self, data, fields, prefix):
        """Return every language's text of ``fields``, keyed as in the file."""
        return {
            key: self.text(data, key, prefix, required=key in REQUIRED_TEXTS)
            for key in text_keys(fields)
        }

    def text(self, data, key, prefix, required=False):
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.error(f"{prefix}{key}", "is required")
            return ""
        if not isinstance(value, str):
            self.error(f"{prefix}{key}", "must be text")
            return ""
        if "\x00" in value:
            self.error(f"{prefix}{key}", "must not contain NUL characters")
        limit = MAX_LENGTHS.get(key)
        if limit and len(value) > limit:
            self.error(f"{prefix}{key}", f"is longer than {limit} characters")
        return value

    def boolean(self, data, key, prefix):
        value = data.get(key, True)
        if not isinstance(value, bool):
            self.error(f"{prefix}{key}", "must be true or false")
            return True
        return value

    def sequence(self, data, key, prefix):
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"{prefix}{key}", "must be a list")
            return []
        return value

    def unknown_keys(self, data, allowed, prefix):
        for key in data:
            if key not in allowed:
                self.error(f"{prefix}{key}", f"unknown field (allowed: {', '.join(allowed)})")

    def check_references(self):
        parents = {spec.code: spec.parent for spec in self.departments}
        for spec in self.departments:
            if spec.parent is not None and spec.parent not in parents:
                self.error(f"{_join(spec.place)}parent", f'unknown department "{spec.parent}"')
        for spec in self.departments:
            chain = [spec.code]
            current = parents.get(spec.code)
            while current is not None and current in parents:
                if current in chain:
                    path = " → ".join([*chain[chain.index(current) :], current])
                    self.error(
                        f"{_join(spec.place)}parent", f"the departments form a cycle: {path}"
                    )
                    break
                chain.append(current)
                current = parents[current]
        if not self.errors:
            self.check_archived(parents)
        roles = {role.code: role for department in self.departments for role in department.roles}
        for role in roles.values():
            if role.reports_to is None:
                continue
            place = f"{role.place}.reports_to"
            if role.reports_to not in roles:
                self.error(place, f'unknown role "{role.reports_to}"')
                continue
            chain = [role.code]
            current = role.reports_to
            while current is not None and current in roles:
                if current in chain:
                    path = " → ".join([*chain[chain.index(current) :], current])
                    self.error(place, f"the reporting lines form a cycle: {path}")
                    break
                chain.append(current)
                current = roles[current].reports_to

    def check_archived(self, parents):
        """Refuse an active department under an archived one, as the write path does."""
        archived = {spec.code for spec in self.departments if not spec.is_active}
        for spec in self.departments:
            if not spec.is_active:
                continue
            current = parents.get(spec.code)
            while current is not None and current not in archived:
                current = parents.get(current)
            if current is not None:
                self.error(
                    f"{_join(spec.place)}is_active",
                    "the department is active but stands under the archived department "
                    f'"{current}"; archive it too (is_active: false) or restore "{current}"',
                )

    def ordered_departments(self):
        """Return the departments in pre-order of the tree the file describes."""
        children = {}
        for spec in self.departments[1:]:
            children.setdefault(spec.parent, []).append(spec)
        ordered = []
        stack = [self.departments[0]]
        while stack:
            spec = stack.pop()
            ordered.append(spec)
            stack.extend(reversed(children.get(spec.code, [])))
        return ordered


def _join(place):
    return f"{place}." if place else ""


def dump_org_file(data: dict) -> str:
    """Return the YAML text of an organisation mapping, always byte-for-byte the same."""
    body = yaml.dump(
        data,
        Dumper=DUMPER,
        allow_unicode=True,
        sort_keys=False,
        width=1000,
        default_flow_style=False,
    )
    return HEADER + body
