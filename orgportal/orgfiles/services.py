"""Import and export of organisation files: the writes that span departments and roles."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.base import ModelState
from django.utils import timezone

from departments.locking import lock_tree
from departments.models import TREE_FIELDS, Department
from departments.services import BulkWrites, PlannedDepartment, department_bulk_write
from orgportal.cache import org_changed
from orgportal.changes.records import history_bulk_writes
from orgportal.guide.services import profile_changes, profile_update
from orgportal.i18n import column, columns, to_traditional
from orgportal.orgfiles.export import organisation_yaml
from orgportal.orgfiles.orgfile import (
    DEPARTMENT_TEXTS,
    DUTY_TEXTS,
    LANGUAGE_SUFFIXES,
    ROLE_TEXTS,
    OrganisationSpec,
    OrgFileError,
    text_columns,
    text_keys,
)
from orgportal.orgfiles.teamfile import teams_import
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
    *,
    spec: OrganisationSpec,
    prune: bool = False,
    dry_run: bool = False,
    writes: BulkWrites | None = None,
) -> ImportReport:
    """Create, update and move departments, roles and duties by code to match ``spec``.

    First the import is planned from one read of the database, without a transaction or a
    lock: that checks the file against the organisation (errors raise OrgFileError) and is the
    whole of a dry run. A real import then takes the tree lock in one transaction, plans again
    from a fresh read and applies the plan with bulk inserts and updates (through ``writes``,
    where history can record them), the nested set computed in one pass.
    """
    plan = ImportReport()
    _Planner(spec, plan).run(prune=prune)
    if spec.profile is not None:
        plan.updated += _profile_lines(profile_changes(**spec.profile))
    teams_import(spec=spec, report=plan, prune=prune, apply=False)
    if dry_run:
        return plan
    report = ImportReport()
    # The default records every bulk write in the history (orgportal.changes).
    writes = writes or history_bulk_writes()
    with transaction.atomic():
        lock_tree()
        # Planned again under the lock, from what the database holds now; the file's fields
        # were validated by the first plan.
        planner = _Planner(spec, report, validate=False)
        planner.run(prune=prune)
        planner.apply(writes)
        # The change log of the departments, roles and duties (it takes the feed's lock).
        writes.finish()
        org_changed()
        if spec.profile is not None:
            report.updated += _profile_lines(profile_update(**spec.profile))
        # Project teams after the roles they name exist, reported in the order of the plan.
        teams_import(spec=spec, report=report, prune=prune, apply=True, writes=writes)
        writes.finish()
    return report


def _profile_lines(changes):
    return [f"organisation profile: {', '.join(changes)}"] if changes else []


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
    """Work out what an import changes, from one read of the database, on rows held in memory.

    It steps through the file as the row-by-row importer did (departments with their order
    among their siblings, roles, duties; tests compare the two), reporting each change and
    keeping the organisation as the import leaves it, which apply() then writes in bulk.
    """

    def __init__(self, spec, report, *, validate=True):
        self.spec = spec
        self.report = report
        self.validate = validate
        rows = list(
            Department.objects.order_by("tree_id", "lft").values(
                "pk",
                "code",
                "parent_id",
                "is_active",
                "zh_hant_auto",
                *TREE_FIELDS,
                *columns(*DEPARTMENT_TEXTS),
            )
        )
        codes = {row["pk"]: row["code"] for row in rows}
        self.departments = {}
        self.children = {}
        self.stored_tree = {}
        for row in rows:
            parent = codes.get(row["parent_id"])
            self.departments[row["code"]] = {
                "pk": row["pk"],
                "code": row["code"],
                "parent": parent,
                **stored_values(row.get, row["zh_hant_auto"], DEPARTMENT_FIELDS),
            }
            self.children.setdefault(parent, []).append(row["code"])
            self.stored_tree[row["code"]] = (
                row["parent_id"],
                *(row[name] for name in ("lft", "rght", "level", "tree_id")),
            )
        self.stored_departments = {code: dict(row) for code, row in self.departments.items()}
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
        self.stored_roles = {code: dict(row) for code, row in self.roles.items()}
        # Each department's previous sibling in the file (None for a first child).
        self.previous = {}
        last_child = {}
        for department_spec in spec.departments[1:]:
            self.previous[department_spec.code] = last_child.get(department_spec.parent)
            last_child[department_spec.parent] = department_spec.code
        self.moved = set()
        # What apply() writes of duties: (role code, sort order, texts) of new ones, (pk, sort
        # order, texts) of changed ones, (pk, sort order) of kept ones that move down.
        self.new_duties = []
        self.changed_duties = []
        self.reordered_duties = []

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
            self.clean(Department, spec.code, wanted, spec.place, ["parent"])
            self.departments[spec.code] = {
                "pk": None,
                "code": spec.code,
                "parent": spec.parent,
                **wanted,
            }
            self.children.setdefault(spec.parent, []).append(spec.code)
            self.report.created.append(label)
            self.place(spec, label, created=True)
            return
        if spec.is_active and not department["is_active"]:
            self.place(spec, label)
        changed = [name for name in DEPARTMENT_FIELDS if department[name] != wanted[name]]
        if changed:
            self.clean(Department, spec.code, wanted, spec.place, ["parent"])
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
        previous = self.previous[spec.code]
        old_parent = department["parent"]
        current = self.children[old_parent]
        # A new department was just appended: its place is usually the last one already.
        position = len(current) - 1 if current[-1] == spec.code else current.index(spec.code)
        current_previous = current[position - 1] if position else None
        if old_parent == spec.parent and current_previous == previous:
            return
        del current[position]
        target = self.children.setdefault(spec.parent, [])
        if previous is None:
            target.insert(0, spec.code)
        elif target and target[-1] == previous:
            target.append(spec.code)
        else:
            target.insert(target.index(previous) + 1, spec.code)
        department["parent"] = spec.parent
        if not created:
            self.moved.add(spec.code)
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
            self.clean(Role, spec.code, wanted, spec.place, ["department"])
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
            self.clean(Role, spec.code, wanted, spec.place, ["department"])
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
            wanted = wanted_values(duty_spec, DUTY_FIELDS)
            if duty is None:
                self.new_duties.append((spec.code, index, wanted))
                self.report.created.append(f"duty {index + 1} of {label}")
            elif (duty.texts, duty.sort_order) != (wanted, index):
                self.changed_duties.append((duty.pk, index, wanted))
                self.report.updated.append(f"duty {index + 1} of {label}")
        for offset, duty in enumerate(unmatched, start=len(spec.duties)):
            if duty.sort_order != offset:
                self.reordered_duties.append((duty.pk, offset))
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
                role["is_active"] = False
                self.report.archived.append(f"role {code} ({role['title']})")

    def clean(self, model, code, wanted, place, exclude):
        """Validate the fields of a new or changed row (only in the first plan of an import)."""
        if self.validate:
            instance = row_instance(model, code=code, **as_columns(wanted))
            _clean_fields(instance, place, exclude=exclude)

    # -- Applying the plan in bulk (under the tree lock, in the import's transaction) ---------

    def apply(self, writes):
        """Write the organisation as planned: bulk inserts and updates of what changed."""
        department_pks = self.apply_departments(writes)
        role_pks = self.apply_roles(writes, department_pks)
        self.apply_duties(writes, role_pks)

    def apply_departments(self, writes):
        order = []
        stack = list(reversed(self.children.get(None, [])))
        while stack:
            code = stack.pop()
            order.append(code)
            stack.extend(reversed(self.children.get(code, [])))
        index = {code: position for position, code in enumerate(order)}
        plan = []
        for code in order:
            department = self.departments[code]
            parent = department["parent"]
            stored = self.stored_departments.get(code)
            changed = stored is not None and (
                code in self.moved
                or any(department[name] != stored[name] for name in DEPARTMENT_FIELDS)
            )
            values = {}
            if stored is None or changed:
                values = text_columns(department, DEPARTMENT_TEXTS)
                values["is_active"] = department["is_active"]
            plan.append(
                PlannedDepartment(
                    instance=row_instance(Department, id=department["pk"], code=code, **values),
                    parent=None if parent is None else index[parent],
                    stored=self.stored_tree.get(code),
                    changed=changed,
                )
            )
        if plan:
            department_bulk_write(
                plan=plan, content_fields=[*DEPARTMENT_CONTENT_COLUMNS], writes=writes
            )
        return {node.instance.code: node.instance.pk for node in plan}

    def apply_roles(self, writes, department_pks):
        created, changed, reporting = [], [], []
        now = timezone.now()
        for code, role in self.roles.items():
            stored = self.stored_roles.get(code)
            fields = (*ROLE_FIELDS, "sort_order", "department_code")
            if stored is not None and all(role[name] == stored[name] for name in fields):
                continue
            instance = row_instance(
                Role,
                id=role["pk"],
                code=code,
                department_id=department_pks[role["department_code"]],
                sort_order=role["sort_order"],
                headcount=role["headcount"],
                is_active=role["is_active"],
                **text_columns(role, ROLE_TEXTS),
            )
            if stored is None:
                created.append(instance)
            else:
                instance.updated_at = now
                changed.append(instance)
        writes.create(Role, created)
        writes.update(Role, changed, [*ROLE_CONTENT_COLUMNS, "updated_at"])
        role_pks = {code: role["pk"] for code, role in self.roles.items()}
        role_pks.update((instance.code, instance.pk) for instance in created)
        for code, role in self.roles.items():
            stored = self.stored_roles.get(code)
            target = role["reports_to_code"]
            if target != (stored["reports_to_code"] if stored else None):
                reporting.append(
                    row_instance(
                        Role,
                        id=role_pks[code],
                        reports_to_id=role_pks[target] if target else None,
                        updated_at=now,
                    )
                )
        writes.update(Role, reporting, ["reports_to", "updated_at"])
        return role_pks

    def apply_duties(self, writes, role_pks):
        writes.create(
            Duty,
            [
                row_instance(
                    Duty,
                    role_id=role_pks[code],
                    sort_order=order,
                    **text_columns(texts, DUTY_TEXTS),
                )
                for code, order, texts in self.new_duties
            ],
        )
        writes.update(
            Duty,
            [
                row_instance(Duty, id=pk, sort_order=order, **text_columns(texts, DUTY_TEXTS))
                for pk, order, texts in self.changed_duties
            ],
            [*_content_columns(DUTY_TEXTS), "sort_order"],
        )
        writes.update(
            Duty,
            [row_instance(Duty, id=pk, sort_order=order) for pk, order in self.reordered_duties],
            ["sort_order"],
        )


# Per model: the defaults of its fields, and the fields whose default is made afresh each time.
_DEFAULTS = {}


def row_instance(model, **values):
    """Return an instance of ``model`` that holds ``values`` (by attname) and the defaults of
    its other fields, as the constructor would, without running the constructor.

    The import's instances are only rows for bulk inserts and updates. django-modeltranslation's
    constructor rewrites every keyword for the active language, which cost the import as much
    as its inserts.
    """
    if model not in _DEFAULTS:
        fields = model._meta.concrete_fields
        _DEFAULTS[model] = (
            {f.attname: f.get_default() for f in fields if not callable(f.default)},
            [f for f in fields if callable(f.default)],
        )
    defaults, made = _DEFAULTS[model]
    instance = model.__new__(model)
    instance.__dict__.update(defaults)
    for fresh in made:
        if fresh.attname not in values:
            instance.__dict__[fresh.attname] = fresh.get_default()
    instance.__dict__.update(values)
    instance._state = ModelState()
    if hasattr(model, "_mptt_meta"):
        model._mptt_meta.update_mptt_cached_fields(instance)
    return instance


def _content_columns(fields):
    return [*columns(*fields), "zh_hant_auto"]


DEPARTMENT_CONTENT_COLUMNS = (*_content_columns(DEPARTMENT_TEXTS), "is_active")
ROLE_CONTENT_COLUMNS = (
    *_content_columns(ROLE_TEXTS),
    "headcount",
    "is_active",
    "sort_order",
    "department",
)


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


def organisation_export() -> str:
    """Return the whole organisation, archived parts included, as an organisation file.

    The text of organisation_yaml() in one piece; the command and the API stream it instead.
    """
    return "".join(organisation_yaml())
