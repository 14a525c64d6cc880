"""The organisation file, written as it is read: YAML or JSON in chunks, in constant memory.

Three queries stream the departments (in tree order), their roles and their duties (both in
the departments' tree order), each read in chunks (a server-side cursor on PostgreSQL), and a
merge walks them side by side. Each department becomes a handful of structure steps (begin a
mapping, an item, begin a list, …) that a writer turns into text: libyaml's emitter for YAML,
so the bytes are those of ``yaml.dump`` of the whole nested mapping, or compact JSON, the
bytes of DRF's JSONRenderer. Only one department's roles and duties are held at a time.

Where the file grows: a department's own fields in ``_department_items``, a role's in
``_role_items``, and sections of the whole organisation after the department tree (project
teams, say) in ``ROOT_SECTIONS``.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import yaml
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Value
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from departments.models import Department
from orgportal.guide.services import profile_file_values
from orgportal.i18n import column, columns
from orgportal.orgfiles.orgfile import (
    DEPARTMENT_TEXTS,
    DUMPER,
    DUTY_TEXTS,
    HEADER,
    LANGUAGE_SUFFIXES,
    ROLE_TEXTS,
)
from orgportal.orgfiles.teamfile import teams_data
from roles.models import Duty, Role

# Rows fetched per round trip of each of the three cursors.
CHUNK_SIZE = 2000
# Text handed on once a writer holds this many characters.
FLUSH_CHARACTERS = 64 * 1024

# Sections of the organisation after its department tree: (key, function returning plain data
# for ``include_archived``). Written at the end of the root mapping, in this order.
# A section that returns LEFT_OUT is not written (null is written as null).
LEFT_OUT = object()
ROOT_SECTIONS: list[tuple[str, Callable[[bool], object]]] = [
    # The organisation profile: the structure mode and business stage, null when not set.
    ("mode", lambda include_archived: profile_file_values()["mode"]),
    ("stage", lambda include_archived: profile_file_values()["stage"]),
    # Project teams, when there are any (orgportal/orgfiles/teamfile.py).
    ("teams", lambda include_archived: teams_data(include_archived=include_archived) or LEFT_OUT),
]


def _text_columns(fields):
    """Return (file key, column, field of an automatic traditional text or None, always
    written) for every language of ``fields``, in the file's key order."""
    return tuple(
        (
            f"{name}{suffix}",
            column(name, language),
            name if language == "zh-hant" else None,
            language == "zh-hans",
        )
        for name in fields
        for language, suffix in LANGUAGE_SUFFIXES.items()
    )


DEPARTMENT_COLUMNS = _text_columns(DEPARTMENT_TEXTS)
ROLE_COLUMNS = _text_columns(ROLE_TEXTS)
DUTY_COLUMNS = _text_columns(DUTY_TEXTS)


def _texts(row, text_columns, items):
    """Append the texts of a values() row as the file writes them: the simplified text always,
    another language's only where there is one, never an automatic traditional text."""
    automatic = row["zh_hant_auto"] or ()
    for key, name, traditional_of, always in text_columns:
        value = row[name]
        if traditional_of is not None and traditional_of in automatic:
            continue
        if value or always:
            items.append((key, value or ""))
    return items


def _department_items(row):
    items = [("code", row["code"])]
    _texts(row, DEPARTMENT_COLUMNS, items)
    if not row["is_active"]:
        items.append(("is_active", False))
    return items


def _role_items(row, duties):
    items = [("code", row["code"])]
    _texts(row, ROLE_COLUMNS, items)
    # Written only when known, like is_active only when false.
    if row["headcount"] is not None:
        items.append(("headcount", row["headcount"]))
    items.append(("reports_to", row["reports_to_code"] if row["reports_to_shown"] else None))
    if not row["is_active"]:
        items.append(("is_active", False))
    items.append(("duties", duties))
    return dict(items)


def _querysets(include_archived):
    departments = Department.objects.all()
    roles = Role.objects.all()
    duties = Duty.objects.all()
    if include_archived:
        roles = roles.annotate(reports_to_shown=Value(True))
    else:
        departments = departments.visible()
        visible_boss = Role.objects.visible().filter(pk=OuterRef("reports_to_id"))
        roles = roles.visible().annotate(reports_to_shown=Exists(visible_boss))
        duties = duties.visible()
    roles = roles.annotate(reports_to_code=F("reports_to__code"))
    departments = departments.order_by("tree_id", "lft").values(
        "pk", "tree_id", "lft", "level", "code", "is_active", "zh_hant_auto",
        *columns(*DEPARTMENT_TEXTS),
    )  # fmt: skip
    roles = roles.order_by("department__tree_id", "department__lft", "sort_order", "pk").values(
        "pk", "code", "sort_order", "headcount", "is_active", "zh_hant_auto", "reports_to_code",
        "reports_to_shown", *columns(*ROLE_TEXTS),
        place=F("department__lft"), tree=F("department__tree_id"),
    )  # fmt: skip
    duties = duties.order_by(
        "role__department__tree_id", "role__department__lft", "role__sort_order", "role_id",
        "sort_order", "pk",
    ).values(
        "role_id", "zh_hant_auto", *columns(*DUTY_TEXTS),
        tree=F("role__department__tree_id"), place=F("role__department__lft"),
        role_order=F("role__sort_order"),
    )  # fmt: skip
    return departments, roles, duties


def _rows(include_archived) -> Iterator[tuple[dict, list]]:
    """Yield each department's values() row in tree order with its roles as plain data.

    The role and duty streams follow the departments' tree order, so a merge pairs them; a row
    of a department or role that the department stream does not hold (one written between
    the queries, outside a snapshot) is skipped rather than misplaced.
    """
    departments, roles, duties = _querysets(include_archived)
    role_rows = roles.iterator(chunk_size=CHUNK_SIZE)
    duty_rows = duties.iterator(chunk_size=CHUNK_SIZE)
    role = next(role_rows, None)
    duty = next(duty_rows, None)
    for department in departments.iterator(chunk_size=CHUNK_SIZE):
        here = (department["tree_id"], department["lft"])
        while role is not None and (role["tree"], role["place"]) < here:
            role = next(role_rows, None)
        department_roles = []
        while role is not None and (role["tree"], role["place"]) == here:
            role_key = (*here, role["sort_order"], role["pk"])
            role_duties = []
            while duty is not None:
                duty_key = (duty["tree"], duty["place"], duty["role_order"], duty["role_id"])
                if duty_key > role_key:
                    break
                if duty_key == role_key:
                    role_duties.append(dict(_texts(duty, DUTY_COLUMNS, [])))
                duty = next(duty_rows, None)
            department_roles.append(_role_items(role, role_duties))
            role = next(role_rows, None)
        yield department, department_roles


def plain_rows(departments, roles, duties) -> Iterator[tuple[dict, list]]:
    """Yield what _rows() yields from rows held in memory (the organisation as of a past date).

    ``departments`` in tree order with ``level``; ``roles`` with ``department_id``,
    ``reports_to_code`` and ``reports_to_shown``, and ``duties`` with ``role_id``, both in
    order.
    """
    duties_of = {}
    for duty in duties:
        duties_of.setdefault(duty["role_id"], []).append(dict(_texts(duty, DUTY_COLUMNS, [])))
    roles_of = {}
    for role in roles:
        roles_of.setdefault(role["department_id"], []).append(
            _role_items(role, duties_of.get(role["id"], []))
        )
    for department in departments:
        yield department, roles_of.get(department["id"], [])


def write_organisation(
    writer, *, include_archived: bool = True, rows=None, sections=None
) -> Iterator[None]:
    """Drive ``writer`` through the organisation, yielding after each department.

    ``rows`` (from plain_rows()) replaces the database's, ``sections`` (key -> value) the
    values of ROOT_SECTIONS (the organisation as of a past date). Write nothing when there are
    no departments.
    """
    depth = -1
    top = None
    for department, roles in rows if rows is not None else _rows(include_archived):
        if top is None:
            top = department["level"]
        level = department["level"] - top
        while depth >= level:
            writer.end_list()
            writer.end_mapping()
            depth -= 1
        writer.begin_mapping()
        for key, value in _department_items(department):
            writer.item(key, value)
        writer.item("roles", roles)
        writer.begin_list("departments")
        depth = level
        yield
    if top is None:
        return
    while depth > 0:
        writer.end_list()
        writer.end_mapping()
        depth -= 1
    writer.end_list()
    for key, section in ROOT_SECTIONS:
        value = section(include_archived) if sections is None else sections[key]
        if value is LEFT_OUT:
            continue
        if not isinstance(value, list):
            writer.item(key, value)
            continue
        # A list of mappings (teams), one at a time, so that chunks stay bounded.
        writer.begin_list(key)
        for entry in value:
            writer.begin_mapping()
            for entry_key, entry_value in entry.items():
                writer.item(entry_key, entry_value)
            writer.end_mapping()
            yield
        writer.end_list()
    writer.end_mapping()
    yield


@contextmanager
def _snapshot():
    """Read every query of the export from one snapshot of the database.

    On PostgreSQL a repeatable-read transaction of its own (unless the caller's transaction
    is open already, whose snapshot then serves); on SQLite no transaction, which would take
    the write lock there (transaction_mode IMMEDIATE) for as long as the download lasts.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _chunks(writer, include_archived, *, empty_mapping, rows=None, sections=None) -> Iterator[str]:
    with _snapshot():
        wrote = False
        for _ in write_organisation(
            writer, include_archived=include_archived, rows=rows, sections=sections
        ):
            wrote = True
            if writer.size >= FLUSH_CHARACTERS:
                yield writer.take()
        if not wrote and empty_mapping:
            writer.begin_mapping()
            writer.end_mapping()
        writer.close()
        text = writer.take()
    if text:
        yield text


def organisation_yaml(*, include_archived: bool = True, rows=None, sections=None) -> Iterator[str]:
    """Yield the organisation file (YAML) in chunks; an empty organisation is ``{}``."""
    yield HEADER
    yield from _chunks(
        YamlWriter(), include_archived, empty_mapping=True, rows=rows, sections=sections
    )


def organisation_json(*, include_archived: bool = True, rows=None, sections=None) -> Iterator[str]:
    """Yield the organisation as compact JSON in chunks; nothing for an empty organisation."""
    yield from _chunks(
        JsonWriter(), include_archived, empty_mapping=False, rows=rows, sections=sections
    )


def organisation_data(*, include_archived: bool = True, rows=None, sections=None) -> dict:
    """Return the organisation as the nested mapping an organisation file holds ({} if none).

    This holds the whole organisation in memory: for tests and small organisations; exports
    stream with organisation_yaml() and organisation_json().
    """
    writer = DataWriter()
    for _ in write_organisation(
        writer, include_archived=include_archived, rows=rows, sections=sections
    ):
        pass
    return writer.root or {}


class _TextWriter:
    def __init__(self):
        self.parts = []
        self.size = 0

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts = []
        self.size = 0
        return text


STR_TAG = "tag:yaml.org,2002:str"
PLAIN_IMPLICIT_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers


def _plain_means_text(value: str) -> bool:
    """Return whether ``value`` written without quotes reads back as the same text.

    yaml.resolver.Resolver.resolve() for a plain scalar, as the dumper's serializer asks it.
    """
    resolvers = PLAIN_IMPLICIT_RESOLVERS.get(value[0] if value else "", [])
    for tag, regexp in (*resolvers, *PLAIN_IMPLICIT_RESOLVERS.get(None, ())):
        if regexp.match(value):
            return tag == STR_TAG
    return True


class YamlWriter(_TextWriter):
    """Emit YAML through PyYAML's emitter (libyaml's where available) event by event.

    The events are those that ``yaml.dump(data, Dumper=DUMPER, sort_keys=False,
    default_flow_style=False)`` makes of the same plain data, so the text is the same.
    """

    def __init__(self):
        super().__init__()
        self.emitter = DUMPER(self, allow_unicode=True, width=1000, default_flow_style=False)
        self.emit = self.emitter.emit
        self.emit(StreamStartEvent())
        self.emit(DocumentStartEvent(explicit=False))
        self.keys = {}

    def write(self, text):
        self.parts.append(text)
        self.size += len(text)

    def flush(self):
        pass

    def close(self):
        self.emit(DocumentEndEvent(explicit=False))
        self.emit(StreamEndEvent())

    def begin_mapping(self):
        self.emit(MappingStartEvent(None, "tag:yaml.org,2002:map", True, flow_style=False))

    def end_mapping(self):
        self.emit(MappingEndEvent())

    def begin_list(self, key):
        self.key(key)
        self.emit(SequenceStartEvent(None, "tag:yaml.org,2002:seq", True, flow_style=False))

    def end_list(self):
        self.emit(SequenceEndEvent())

    def key(self, key):
        event = self.keys.get(key)
        if event is None:
            event = self.keys[key] = self.scalar(key)
        self.emit(event)

    def item(self, key, value):
        self.key(key)
        self.value(value)

    @staticmethod
    def scalar(value):
        return ScalarEvent(None, STR_TAG, (_plain_means_text(value), True), value)

    def value(self, value):
        if isinstance(value, str):
            self.emit(self.scalar(value))
        elif isinstance(value, dict):
            self.begin_mapping()
            for key, item in value.items():
                self.key(key)
                self.value(item)
            self.end_mapping()
        elif isinstance(value, list):
            self.emit(SequenceStartEvent(None, "tag:yaml.org,2002:seq", True, flow_style=False))
            for item in value:
                self.value(item)
            self.end_list()
        elif value is None:
            self.emit(ScalarEvent(None, "tag:yaml.org,2002:null", (True, False), "null"))
        elif isinstance(value, bool):
            text = "true" if value else "false"
            self.emit(ScalarEvent(None, "tag:yaml.org,2002:bool", (True, False), text))
        elif isinstance(value, int):
            self.emit(ScalarEvent(None, "tag:yaml.org,2002:int", (True, False), str(value)))
        else:
            raise TypeError(f"an organisation file holds no {type(value).__name__}")


_encode_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


class JsonWriter(_TextWriter):
    """Write compact JSON, as DRF's JSONRenderer writes it (U+2028 and U+2029 escaped)."""

    def __init__(self):
        super().__init__()
        self.first = [True]

    def close(self):
        pass

    def take(self):
        return super().take().replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")

    def _add(self, text):
        if self.first[-1]:
            self.first[-1] = False
        else:
            text = "," + text
        self.parts.append(text)
        self.size += len(text)

    def begin_mapping(self):
        self._add("{")
        self.first.append(True)

    def end_mapping(self):
        self.parts.append("}")
        self.first.pop()

    def begin_list(self, key):
        self._add(f"{_encode_json(key)}:[")
        self.first.append(True)

    def end_list(self):
        self.parts.append("]")
        self.first.pop()

    def item(self, key, value):
        self._add(f"{_encode_json(key)}:{_encode_json(value)}")


class DataWriter:
    """Build the nested plain data (for organisation_data())."""

    size = 0

    def __init__(self):
        self.root = None
        self.stack = []

    def begin_mapping(self):
        mapping = {}
        if self.stack:
            self.stack[-1].append(mapping)
        else:
            self.root = mapping
        self.stack.append(mapping)

    def end_mapping(self):
        self.stack.pop()

    def begin_list(self, key):
        self.stack[-1][key] = []
        self.stack.append(self.stack[-1][key])

    def end_list(self):
        self.stack.pop()

    def item(self, key, value):
        self.stack[-1][key] = value
