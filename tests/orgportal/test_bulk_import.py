"""The bulk import leaves the organisation exactly as the row-by-row importer did."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from departments.models import TREE_FIELDS, Department
from departments.services import BulkWrites, tree_problems
from orgportal.cache import org_version
from orgportal.i18n import columns
from orgportal.orgfiles.export import organisation_yaml
from orgportal.orgfiles.orgfile import (
    DEPARTMENT_TEXTS,
    DUTY_TEXTS,
    ROLE_TEXTS,
    parse_org_file,
    validate_org_data,
)
from orgportal.orgfiles.services import organisation_import
from roles.models import Duty, Role
from teams.models import ProjectTeam
from tests.orgportal.reference_import import reference_import
from tests.orgportal.test_import_org import changed_seed, seed_data

SEED = Path(settings.ORGPORTAL_SEED_FILE)


def organisation_state():
    """Every stored value of the organisation but keys and timestamps, by code."""
    return (
        list(
            Department.objects.order_by("code").values_list(
                "code", "parent__code", *TREE_FIELDS, "is_active", "zh_hant_auto",
                *columns(*DEPARTMENT_TEXTS),
            )
        ),
        list(
            Role.objects.order_by("code").values_list(
                "code", "department__code", "sort_order", "reports_to__code", "headcount",
                "is_active", "zh_hant_auto", *columns(*ROLE_TEXTS),
            )
        ),
        list(
            Duty.objects.order_by("role__code", "sort_order", "pk").values_list(
                "role__code", "sort_order", "zh_hant_auto", *columns(*DUTY_TEXTS)
            )
        ),
    )  # fmt: skip


def reference_result(spec, prune):
    """Return the state and report lines the row-by-row importer leaves, then undo it."""
    with transaction.atomic():
        report = reference_import(spec=spec, prune=prune)
        state = organisation_state()
        transaction.set_rollback(True)
    return state, list(report.lines())


def with_reports_to(data):
    data["departments"][0]["roles"][0]["reports_to"] = data["departments"][1]["roles"][0]["code"]
    return data


SCENARIOS = {
    "into an empty database": (None, lambda d: d, False),
    "unchanged": ("seed", lambda d: d, False),
    "changes": ("seed", lambda d: changed_seed(), False),
    "changes and prune": ("seed", lambda d: changed_seed(), True),
    "prune": ("seed", lambda d: d["departments"].pop(2) and d, True),
    "reporting lines": ("seed", with_reports_to, False),
    "new branch with hand-written traditional texts": (
        "seed",
        lambda d: (
            d["departments"].append(
                {
                    "code": "new-branch",
                    "name": "新部门",
                    "name_zh_hant": "新部門（手寫）",
                    "roles": [
                        {"code": "new-role", "title": "新岗位", "duties": ["职责一", "职责二"]}
                    ],
                    "departments": [{"code": "new-leaf", "name": "新小组", "is_active": False}],
                }
            )
            or d
        ),
        False,
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_bulk_import_leaves_what_the_row_by_row_importer_left(db, name):
    start, mutate, prune = SCENARIOS[name]
    if start == "seed":
        organisation_import(spec=parse_org_file(SEED.read_text(encoding="utf-8")))
    spec = validate_org_data(mutate(seed_data()))
    expected_state, expected_lines = reference_result(spec, prune)

    report = organisation_import(spec=spec, prune=prune)

    assert list(report.lines()) == expected_lines
    assert organisation_state() == expected_state
    assert tree_problems() == []


def test_bulk_import_of_a_generated_export_into_an_empty_database(large_org, tmp_path):
    text = "".join(organisation_yaml())
    spec = parse_org_file(text)
    ProjectTeam.objects.all().delete()
    Duty.objects.all().delete()
    Role.objects.all().delete()
    Department.objects.all().delete()
    expected_state, _ = reference_result(spec, prune=False)

    report = organisation_import(spec=spec)

    # Departments, roles, duties, and 50 project teams with 6 members each.
    assert len(report.created) == 500 + 2500 + 5000 + 50 + 50 * 6
    assert organisation_state() == expected_state
    assert "".join(organisation_yaml()) == text


def test_every_row_goes_through_the_bulk_writes_hook(seed_org):
    written = []

    class RecordingWrites(BulkWrites):
        def create(self, model, objects):
            written.extend(
                ("create", model.__name__, obj.pk) for obj in super().create(model, objects)
            )
            return objects

        def update(self, model, objects, fields):
            super().update(model, objects, fields)
            written.extend(("update", model.__name__, obj.pk) for obj in objects)

    organisation_import(spec=validate_org_data(changed_seed()), writes=RecordingWrites())

    assert ("create", "Department", Department.objects.get(code="video").pk) in written
    assert {model for _, model, _ in written} == {"Department", "Role", "Duty"}
    assert all(pk is not None for _, _, pk in written)


def test_an_import_invalidates_the_cached_organisation(seed_org):
    before = org_version()
    organisation_import(spec=validate_org_data(changed_seed()))
    assert org_version() != before


def test_an_import_that_would_break_the_tree_writes_nothing(seed_org, monkeypatch):
    from departments import services

    state = organisation_state()
    monkeypatch.setattr(services, "tree_problems", lambda using="default": ["bounds: (1,)"])
    with pytest.raises(AssertionError, match="invalid"):
        organisation_import(spec=validate_org_data(changed_seed()))
    assert organisation_state() == state
