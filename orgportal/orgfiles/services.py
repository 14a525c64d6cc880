"""Import and export of organisation files: the writes that span departments and roles."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import F

from departments.locking import lock_tree
from departments.models import Department
from orgportal.i18n import column, columns, to_traditional
from orgportal.orgfiles.export import organisation_yaml
from orgportal.orgfiles.orgfile import (
    DEPARTMENT_TEXTS,
    DUTY_TEXTS,
    LANGUAGE_SUFFIXES,
    ROLE_TEXTS,
    OrganisationSpec,
    OrgFileError,
    text_keys,
)
from roles.models import Duty, Role

# What the file sets of a department and a role: every language's texts (by file key) and
# these values.
DEPARTMENT_FIELDS = (*text_keys(DEPARTMENT_TEXTS), "is_active")
ROLE_FIELDS = (*text_keys(ROLE_TEXTS), "headcount", "is_active")
DUTY_FIELDS = text_keys(DUTY_TEXTS)
# The column of each file key: name is name_zh_hans, name_en and name_zh_hant are themselves.
COLUMNS = {
    f"{field}{suffix}": column(field, language)
    for field in (*DEPARTMENT_TEXTS, *ROLE_TEXTS, *DUTY_TEXTS)
    for language, suffix in LANGUAGE_SUFFIXES.items()
}
KEYS = {name: key for key, name in COLUMNS.items()}


def _column(key):
    return COLUMNS.get(key, key)


def stored_values(get, automatic, keys):
    """Return the values of file ``keys`` as stored: ``get(column)`` reads a column.

    A traditional text is the file's only where HR wrote it: an automatic conversion (its
    field listed in ``automatic``) reads as "", as the export writes it.
    """
    values = {}
    for key in keys:
        if key.endswith("_zh_hant") and key.removesuffix("_zh_hant") in automatic:
            values[key] = ""
            continue
        value = get(_column(key))
        values[key] = "" if value is None and key in COLUMNS else value
    return values


def instance_values(instance, keys):
    return stored_values(lambda name: getattr(instance, name), instance.zh_hant_auto or (), keys)


def wanted_values(spec, keys):
    """Return what the file wants of ``keys``; a traditional text equal to the automatic
    conversion of its simplified text counts as none (it is automatic)."""
    values = {}
    for key in keys:
        value = spec.texts[key] if key in COLUMNS else getattr(spec, key)
        if key.endswith("_zh_hant") and value:
            source = spec.texts[key.removesuffix("_zh_hant")]
            if value == to_traditional(source):
                value = ""
        values[key] = value
    return values


def as_columns(values):
    """Return file-keyed values keyed by their model columns (for a model's constructor)."""
    return {_column(key): value for key, value in values.items()}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), one line per change."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated) + len(self.moved) + len(self.archived)

    def lines(self):
        for verb in ("created", "updated", "moved", "archived", "kept"):
            for line in getattr(self, verb):
                yield f"{verb}: {line}"

    def summary(self) -> str:
        return (
            f"{self.changes} changes: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.moved)} moved, {len(self.archived)} archived"
        )


def organisation_import(
    *, spec: OrganisationSpec, prune: bool = False, dry_run: bool = False
) -> ImportReport:
    """Create, update and move departments, roles and duties by code to match ``spec``.

    First the import is planned from one read of the database, without a transaction or a
    lock: that checks the file against the organisation (errors raise OrgFileError) and is the
    whole of a dry run. A real import then applies the file in one transaction under the tree
    lock, which it holds only while it writes.
    """
    plan = ImportReport()
    _Planner(spec, plan).run(prune=prune)
    if dry_run:
        return plan
    report = ImportReport()
    with transaction.atomic():
        lock_tree()
        _Importer(spec, report).run(prune=prune)
    return report


def _root_mismatch(root_code, spec):
    """Return the placed error of a file whose root is not the organisation's, or None."""
    if root_code is None or root_code == spec.root.code:
        return None
    return OrgFileError(
        [
            (
                "code",
                f"the organisation's root is \"{root_code}\"; the file's root must have the "
                "same code",
            )
        ]
    )


def _duty_source(duty):
    """Return a stored duty's simplified area and text (a Duty, or a planner's row)."""
    texts = getattr(duty, "texts", None)
    if texts is not None:
        return texts["area"], texts["text"]
    return duty.area_zh_hans or "", duty.text_zh_hans or ""


def _match_duties(existing, duty_specs):
    """Pair each duty of the file with an existing duty: the same text first, then in order.

    Return the matched duties (None for a new one), and the existing ones left unmatched.
    """
    unmatched = list(existing)
    matched = [None] * len(duty_specs)
    for index, duty_spec in enumerate(duty_specs):
        for duty in unmatched:
            if _duty_source(duty) == (duty_spec.area, duty_spec.text):
                matched[index] = duty
                unmatched.remove(duty)
                break
    for index in range(len(duty_specs)):
        if matched[index] is None and unmatched:
            matched[index] = unmatched.pop(0)
    return matched, unmatched


class _Planner:
    """Work out what an import would change, from one read of the database, writing nothing.

    It follows the steps of _Importer on rows held in memory (departments with their order
    among their siblings, roles, duties); tests compare its report with a real run's.
    """

    def __init__(self, spec, report):
        self.spec = spec
        self.report = report
        rows = list(
            Department.objects.order_by("tree_id", "lft").values(
                "pk",
                "code",
                "parent_id",
                "is_active",
                "zh_hant_auto",
                *columns(*DEPARTMENT_TEXTS),
            )
        )
        codes = {row["pk"]: row["code"] for row in rows}
        self.departments = {}
        self.children = {}
        for row in rows:
            parent = codes.get(row["parent_id"])
            self.departments[row["code"]] = {
                "pk": row["pk"],
                "code": row["code"],
                "parent": parent,
                **stored_values(row.get, row["zh_hant_auto"], DEPARTMENT_FIELDS),
            }
            self.children.setdefault(parent, []).append(row["code"])
        self.roles = {}
        for row in Role.objects.values(
            "pk",
            "code",
            "sort_order",
            "headcount",
            "is_active",
            "zh_hant_auto",
            *columns(*ROLE_TEXTS),
            department_code=F("department__code"),
            reports_to_code=F("reports_to__code"),
        ):
            self.roles[row["code"]] = {
                **{name: row[name] for name in ("pk", "code", "sort_order")},
                **{name: row[name] for name in ("department_code", "reports_to_code")},
                **stored_values(row.get, row["zh_hant_auto"], ROLE_FIELDS),
            }
        self.duties = {}
        for duty in Duty.objects.order_by("role_id", "sort_order", "pk").values(
            "pk", "role_id", "sort_order", "zh_hant_auto", *columns(*DUTY_TEXTS)
        ):
            self.duties.setdefault(duty["role_id"], []).append(
                SimpleNamespace(
                    pk=duty["pk"],
                    sort_order=duty["sort_order"],
                    texts=stored_values(duty.get, duty["zh_hant_auto"], DUTY_FIELDS),
                )
            )
        self.siblings = {}
        for department_spec in spec.departments[1:]:
            self.siblings.setdefault(department_spec.parent, []).append(department_spec.code)

    def run(self, *, prune):
        root = self.children.get(None, [None])[0]
        error = _root_mismatch(root, self.spec)
        if error:
            raise error
        for department_spec in self.spec.departments:
            self.plan_department(department_spec)
        for department_spec in self.spec.departments:
            for index, role_spec in enumerate(department_spec.roles):
                self.plan_role(role_spec, department_spec.code, index)
        for role_spec in self.spec.roles:
            role = self.roles[role_spec.code]
            if role["reports_to_code"] != role_spec.reports_to:
                role["reports_to_code"] = role_spec.reports_to
                self.report.updated.append(f"role {role_spec.code} ({role_spec.title}): reports_to")
        for role_spec in self.spec.roles:
            self.plan_duties(role_spec)
        if prune:
            self.plan_prune()

    def plan_department(self, spec):
        department = self.departments.get(spec.code)
        label = f"department {spec.code} ({spec.name})"
        wanted = wanted_values(spec, DEPARTMENT_FIELDS)
        if department is None:
            _clean_fields(
                Department(code=spec.code, **as_columns(wanted)), spec.place, exclude=["parent"]
            )
            self.departments[spec.code] = {"code": spec.code, "parent": spec.parent, **wanted}
            self.children.setdefault(spec.parent, []).append(spec.code)
            self.report.created.append(label)
            self.place(spec, label, created=True)
            return
        if spec.is_active and not department["is_active"]:
            self.place(spec, label)
        changed = [name for name in DEPARTMENT_FIELDS if department[name] != wanted[name]]
        if changed:
            _clean_fields(
                Department(code=spec.code, **as_columns(wanted)), spec.place, exclude=["parent"]
            )
            if department["is_active"] and not spec.is_active:
                self.archive_below(spec.code)
            department.update(wanted)
            self.report.updated.append(f"{label}: {', '.join(changed)}")
        self.place(spec, label)

    def place(self, spec, label, created=False):
        """Move the department after its previous sibling in the file, as _Importer does."""
        if spec.parent is None:
            return
        department = self.departments[spec.code]
        siblings = self.siblings[spec.parent]
        index = siblings.index(spec.code)
        previous = siblings[index - 1] if index else None
        old_parent = department["parent"]
        current = self.children[old_parent]
        position = current.index(spec.code)
        current_previous = current[position - 1] if position else None
        if old_parent == spec.parent and current_previous == previous:
            return
        current.remove(spec.code)
        target = self.children.setdefault(spec.parent, [])
        target.insert(target.index(previous) + 1 if previous else 0, spec.code)
        department["parent"] = spec.parent
        if not created:
            where = f"under {spec.parent}" if old_parent != spec.parent else "reordered"
            self.report.moved.append(f"{label}: {where}")

    def archive_below(self, code):
        for child in self.children.get(code, []):
            self.departments[child]["is_active"] = False
            self.archive_below(child)

    def plan_role(self, spec, department_code, index):
        role = self.roles.get(spec.code)
        label = f"role {spec.code} ({spec.title})"
        wanted = wanted_values(spec, ROLE_FIELDS)
        if role is None:
            _clean_fields(
                Role(code=spec.code, **as_columns(wanted)), spec.place, exclude=["department"]
            )
            self.roles[spec.code] = {
                "pk": None,
                "code": spec.code,
                "department_code": department_code,
                "sort_order": index,
                "reports_to_code": None,
                **wanted,
            }
            self.report.created.append(label)
            return
        changed = [name for name in ROLE_FIELDS if role[name] != wanted[name]]
        if role["sort_order"] != index:
            changed.append("sort_order")
        moved = role["department_code"] != department_code
        if changed:
            _clean_fields(
                Role(code=spec.code, **as_columns(wanted)), spec.place, exclude=["department"]
            )
        role.update(wanted, sort_order=index, department_code=department_code)
        if moved:
            self.report.moved.append(f"{label}: to department {department_code}")
        if changed:
            self.report.updated.append(f"{label}: {', '.join(changed)}")

    def plan_duties(self, spec):
        role = self.roles[spec.code]
        existing = self.duties.get(role["pk"], []) if role["pk"] else []
        matched, unmatched = _match_duties(existing, spec.duties)
        label = f"role {spec.code} ({spec.title})"
        for index, (duty_spec, duty) in enumerate(zip(spec.duties, matched, strict=True)):
            if duty is None:
                self.report.created.append(f"duty {index + 1} of {label}")
            elif (duty.texts, duty.sort_order) != (wanted_values(duty_spec, DUTY_FIELDS), index):
                self.report.updated.append(f"duty {index + 1} of {label}")
        for duty in unmatched:
            self.report.kept.append(
                f"duty “{_duty_source(duty)[1]}” of {label} is not in the file; "
                "imports never delete duties"
            )

    def plan_prune(self):
        listed_departments = {spec.code for spec in self.spec.departments}
        listed_roles = {spec.code for spec in self.spec.roles}
        for code, department in self.departments.items():
            if code not in listed_departments and department["is_active"]:
                department["is_active"] = False
                self.archive_below(code)
                self.report.archived.append(f"department {code} ({department['name']})")
        for code, role in self.roles.items():
            if code not in listed_roles and role["is_active"]:
                self.report.archived.append(f"role {code} ({role['title']})")


class _Importer:
    def __init__(self, spec, report):
        self.spec = spec
        self.report = report
        self.departments = {d.code: d for d in Department.objects.all()}
        self.roles = {r.code: r for r in Role.objects.select_related("department")}

    def run(self, *, prune):
        self.check_root()
        for department_spec in self.spec.departments:
            self.place_department(department_spec)
        for department_spec in self.spec.departments:
            for index, role_spec in enumerate(department_spec.roles):
                self.save_role(role_spec, department_spec.code, index)
        for role_spec in self.spec.roles:
            self.set_reports_to(role_spec)
        for role_spec in self.spec.roles:
            self.save_duties(role_spec)
        if prune:
            self.prune()

    def check_root(self):
        root = Department.objects.root_nodes().first()
        error = _root_mismatch(root.code if root else None, self.spec)
        if error:
            raise error

    def place_department(self, spec):
        department = self.departments.get(spec.code)
        parent = self.departments.get(spec.parent) if spec.parent else None
        label = f"department {spec.code} ({spec.name})"
        created = department is None
        if created:
            department = Department(code=spec.code, parent=parent)
            _assign(department, spec, DEPARTMENT_FIELDS)
            _full_clean(department, spec.place)
            department.save()
            self.departments[spec.code] = department
            self.report.created.append(label)
        else:
            # Earlier moves and archives in this import may have changed it in the database.
            department.refresh_from_db()
            # A department being restored moves first, one being archived moves last, so that
            # no step leaves an active department under an archived one.
            if spec.is_active and not department.is_active:
                self.place(department, parent, spec, label)
            changed = _assign(department, spec, DEPARTMENT_FIELDS)
            if changed:
                _full_clean(department, spec.place, exclude=["parent"])
                department.save()
                self.report.updated.append(f"{label}: {', '.join(changed)}")
        self.place(department, parent, spec, label, created=created)

    def place(self, department, parent, spec, label, created=False):
        """Put the department in its place under ``parent``, unless it is there already."""
        if parent is None:
            return
        moved_from = self.put_in_order(department, parent, spec)
        if moved_from is not None and not created:
            where = f"under {parent.code}" if moved_from != parent.pk else "reordered"
            self.report.moved.append(f"{label}: {where}")

    def put_in_order(self, department, parent, spec):
        """Place the department right after its previous sibling in the file.

        Return the parent id it had before a move, or None when it was already in place.
        """
        siblings = [s for s in self.spec.departments if s.parent == spec.parent]
        index = siblings.index(spec)
        previous = self.departments[siblings[index - 1].code] if index else None
        # place_department() left the tree fields current (refreshed, or set by save()).
        current_previous = department.get_previous_sibling()
        in_place = department.parent_id == parent.pk and (
            (previous is None and current_previous is None)
            or (
                previous is not None
                and current_previous is not None
                and current_previous.pk == previous.pk
            )
        )
        if in_place:
            return None
        old_parent_id = department.parent_id
        if previous is None:
            department.move_to(parent, "first-child")
        else:
            department.move_to(previous, "right")
        return old_parent_id

    def save_role(self, spec, department_code, index):
        department = self.departments[department_code]
        role = self.roles.get(spec.code)
        label = f"role {spec.code} ({spec.title})"
        if role is None:
            role = Role(code=spec.code, department=department, sort_order=index)
            _assign(role, spec, ROLE_FIELDS)
            _full_clean(role, spec.place, exclude=["reports_to"])
            role.save()
            self.roles[spec.code] = role
            self.report.created.append(label)
            return
        changed = _assign(role, spec, ROLE_FIELDS)
        if role.sort_order != index:
            role.sort_order = index
            changed.append("sort_order")
        moved = role.department_id != department.pk
        role.department = department
        if changed or moved:
            _full_clean(role, spec.place, exclude=["reports_to"])
            role.save()
        if moved:
            self.report.moved.append(f"{label}: to department {department.code}")
        if changed:
            self.report.updated.append(f"{label}: {', '.join(changed)}")

    def set_reports_to(self, spec):
        role = self.roles[spec.code]
        target = self.roles[spec.reports_to].pk if spec.reports_to else None
        if role.reports_to_id != target:
            role.reports_to_id = target
            role.save(update_fields=["reports_to", "updated_at"])
            self.report.updated.append(f"role {spec.code} ({spec.title}): reports_to")

    def save_duties(self, spec):
        """Match duties by their text, then edits by position; never delete a duty."""
        role = self.roles[spec.code]
        existing = list(role.duties.all()) if role.pk else []
        matched, unmatched = _match_duties(existing, spec.duties)
        label = f"role {spec.code} ({spec.title})"
        for index, (duty_spec, duty) in enumerate(zip(spec.duties, matched, strict=True)):
            if duty is None:
                duty = Duty(role=role, sort_order=index)
                _assign(duty, duty_spec, DUTY_FIELDS)
                duty.save()
                self.report.created.append(f"duty {index + 1} of {label}")
                continue
            changed = _assign(duty, duty_spec, DUTY_FIELDS)
            if changed or duty.sort_order != index:
                duty.sort_order = index
                duty.save()
                self.report.updated.append(f"duty {index + 1} of {label}")
        for offset, duty in enumerate(unmatched, start=len(spec.duties)):
            if duty.sort_order != offset:
                duty.sort_order = offset
                duty.save(update_fields=["sort_order"])
            self.report.kept.append(
                f"duty “{_duty_source(duty)[1]}” of {label} is not in the file; "
                "imports never delete duties"
            )

    def prune(self):
        listed_departments = {spec.code for spec in self.spec.departments}
        listed_roles = {spec.code for spec in self.spec.roles}
        for code, department in self.departments.items():
            # Archiving a department above it may have archived it already.
            if department.pk is not None:
                department.refresh_from_db(fields=["is_active"])
            if code not in listed_departments and department.is_active:
                department.is_active = False
                department.save()
                self.report.archived.append(f"department {code} ({department.name_zh_hans})")
        for code, role in self.roles.items():
            if code not in listed_roles and role.is_active:
                role.is_active = False
                role.save(update_fields=["is_active", "updated_at"])
                self.report.archived.append(f"role {code} ({role.title_zh_hans})")


def _clean_fields(instance, place, exclude):
    """Validate the fields of an instance that is not saved yet; place what fails."""
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        raise _placed(error, place) from error


def _placed(error, place):
    prefix = f"{place}." if place else ""
    return OrgFileError(
        [
            (
                (place or "file")
                if name == NON_FIELD_ERRORS
                else f"{prefix}{KEYS.get(name, name)}",
                message,
            )
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    )


def _full_clean(instance, place, exclude=None):
    """Validate ``instance`` as the model does; report what fails at its place in the file."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise _placed(error, place) from error


def _assign(instance, spec, fields):
    """Copy ``fields`` (file keys) from ``spec`` onto ``instance``; return the keys that changed.

    An empty traditional text leaves the column to the automatic conversion (see
    orgportal.translated), which the save fills in.
    """
    current = instance_values(instance, fields)
    changed = []
    for key, value in wanted_values(spec, fields).items():
        if current[key] != value:
            changed.append(key)
        if current[key] != value or getattr(instance, _column(key)) is None:
            # Also where it stands as NULL: a missing text is "", as in the file.
            setattr(instance, _column(key), value)
    return changed


def organisation_export() -> str:
    """Return the whole organisation, archived parts included, as an organisation file.

    The text of organisation_yaml() in one piece; the command and the API stream it instead.
    """
    return "".join(organisation_yaml())
