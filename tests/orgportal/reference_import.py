"""The row-by-row importer as it was before the bulk import, kept as the reference that tests
compare the bulk import's results with (same organisation, same report).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from departments.locking import lock_tree
from departments.models import Department
from orgportal.guide.services import profile_update
from orgportal.orgfiles.services import (
    DEPARTMENT_FIELDS,
    DUTY_FIELDS,
    ROLE_FIELDS,
    ImportReport,
    _column,
    _duty_source,
    _match_duties,
    _placed,
    _profile_lines,
    _root_mismatch,
    instance_values,
    wanted_values,
)
from orgportal.orgfiles.teamfile import teams_import
from roles.models import Duty, Role


def reference_import(*, spec, prune=False) -> ImportReport:
    """Apply ``spec`` row by row through the models' saves, as imports did before."""
    report = ImportReport()
    with transaction.atomic():
        lock_tree()
        _Importer(spec, report).run(prune=prune)
        # The organisation profile, as the bulk import sets it.
        if spec.profile is not None:
            report.updated += _profile_lines(profile_update(**spec.profile))
        # Project teams are imported after the roles, by model saves, in both importers.
        teams_import(spec=spec, report=report, prune=prune, apply=True)
    return report


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
