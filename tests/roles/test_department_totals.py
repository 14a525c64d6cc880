"""The department role totals the database keeps (roles.DepartmentRoleTotals): every kind of
write to the roles leaves them equal to a count of the roles themselves."""

import pytest
from django.db import connection

from departments.services import department_archive
from orgportal.changes.restore import object_restore
from roles.models import DepartmentRoleTotals, Role
from roles.totals import recounted, total_problems
from tests.factories import DepartmentFactory, RoleFactory


def kept(department):
    row = DepartmentRoleTotals.objects.filter(department=department).first()
    return None if row is None else (row.roles, row.seats, row.seats_unknown)


@pytest.fixture
def two_departments(db):
    root = DepartmentFactory(code="root", parent=None)
    return DepartmentFactory(code="a", parent=root), DepartmentFactory(code="b", parent=root)


def test_saves_add_change_archive_restore_move_and_delete(two_departments):
    a, b = two_departments
    first = RoleFactory(department=a, headcount=3)
    second = RoleFactory(department=a, headcount=None)
    assert kept(a) == (2, 3, 1)

    second.headcount = 5
    second.save()
    assert kept(a) == (2, 8, 0)

    first.is_active = False
    first.save()
    assert kept(a) == (1, 5, 0)
    first.is_active = True
    first.save()
    assert kept(a) == (2, 8, 0)

    second.department = b
    second.save()
    assert kept(a) == (1, 3, 0) and kept(b) == (1, 5, 0)

    second.title = "renamed"  # changes no total
    second.save()
    assert kept(b) == (1, 5, 0)

    second.delete()
    # No row for a department without active roles.
    assert kept(b) is None
    assert not DepartmentRoleTotals.objects.filter(department=b).exists()
    assert total_problems() == []


def test_archived_roles_count_nowhere_until_restored(two_departments):
    a, _b = two_departments
    role = RoleFactory(department=a, headcount=2, is_active=False)
    assert kept(a) is None
    role.delete()  # an archived role's deletion takes nothing away
    assert kept(a) is None
    RoleFactory(department=a, headcount=2)
    assert kept(a) == (1, 2, 0)


def test_bulk_and_set_based_writes(two_departments):
    a, b = two_departments
    Role.objects.bulk_create(
        [
            Role(code=f"bulk-{n}", title=f"bulk {n}", department=a, headcount=n or None)
            for n in range(4)
        ]
    )
    assert kept(a) == (4, 6, 1)

    Role.objects.filter(department=a, headcount__gte=2).update(department=b)
    assert kept(a) == (2, 1, 1) and kept(b) == (2, 5, 0)

    Role.objects.filter(department=b).update(headcount=None)
    assert kept(b) == (2, 0, 2)

    Role.objects.filter(department=a).update(is_active=False)
    assert kept(a) is None

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM roles_role WHERE department_id = %s", [b.pk])
    assert kept(b) is None
    assert total_problems() == []


def test_an_archived_department_keeps_its_own_totals(two_departments):
    a, _b = two_departments
    RoleFactory(department=a, headcount=1)
    RoleFactory(department=a, headcount=None)
    department_archive(department=a)
    # Its roles stay active: an archived department counts its own roles (the branch totals
    # leave them out above it, departments.tree.branch_role_totals()).
    assert kept(a) == (2, 1, 1) == recounted()[a.pk]
    assert total_problems() == []


def test_a_restore_from_the_history_counts(two_departments):
    a, _b = two_departments
    role = RoleFactory(department=a, headcount=2)
    old = role.history.latest().history_id
    role.headcount = 7
    role.save()
    assert kept(a) == (1, 7, 0)
    object_restore(model=Role, history_id=old)
    assert kept(a) == (1, 2, 0)


def test_the_check_finds_totals_that_disagree(two_departments):
    a, _b = two_departments
    RoleFactory(department=a, headcount=2)
    DepartmentRoleTotals.objects.filter(department=a).update(seats=9)
    assert total_problems() == [
        f"department {a.pk}: kept (1, 9, 0, 1, 2, 0), counted (1, 2, 0, 1, 2, 0)"
    ]


def test_generated_and_imported_organisations_keep_their_totals(large_org, seed_org):
    # The generator writes rows in bulk (COPY on PostgreSQL); the import plans in memory and
    # writes in bulk; both through the same triggers.
    assert DepartmentRoleTotals.objects.count() > 500
    assert total_problems() == []


def test_the_triggers_are_in_place(db):
    # SQLite drops a table's triggers when a migration rebuilds the table: a migration that
    # alters the roles' or the departments' table there must create them again (see
    # migrations roles 0006 and 0007).
    names = set()
    with connection.cursor() as cursor:
        for table in ("roles_role", "departments_department"):
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                    "AND NOT tgisinternal",
                    [table],
                )
            names |= {name for (name,) in cursor.fetchall()}
    expected = {"insert", "update", "delete", "department_update", "department_delete"}
    if connection.vendor == "postgresql":
        expected |= {"truncate", "department_truncate"}
    assert {f"roles_department_totals_{kind}" for kind in expected} <= names
