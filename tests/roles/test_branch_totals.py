"""The whole-branch role totals the database keeps per department (roles 0007): after every
kind of write to the roles or to the tree they equal a recount from scratch, and the pages'
reads (departments.tree.branch_role_totals()) equal the totals load_tree() adds up."""

import pytest
import yaml

from departments.models import Department
from departments.services import department_archive, department_move
from departments.tree import branch_role_totals, load_tree
from orgportal.changes.restore import object_restore
from orgportal.orgfiles.orgfile import parse_org_file
from orgportal.orgfiles.services import organisation_export, organisation_import
from roles.models import DepartmentRoleTotals, Role
from roles.totals import total_problems
from tests.factories import DepartmentFactory, RoleFactory


def branch(department):
    """The kept (roles, seats, without headcount) of the department's branch, None without."""
    row = DepartmentRoleTotals.objects.filter(department=department).first()
    if row is None:
        return None
    return (row.branch_roles, row.branch_seats, row.branch_seats_unknown)


def assert_agree():
    """Kept totals equal the recount, and every department's read equals load_tree()'s."""
    assert total_problems() == []
    root = Department.objects.root_nodes().first()
    if root is None:
        return
    top = load_tree(Department._base_manager.all(), include_archived=True)
    nodes = list(top.walk())
    read = branch_role_totals([node.pk for node in nodes])
    for node in nodes:
        expected = (node.role_count, node.subtree_role_count, node.seats, node.seats_unknown)
        assert read.get(node.pk, (0, 0, 0, 0)) == expected, node.code


@pytest.fixture
def tree(db):
    """root → a → a1 → a11, root → b → b1; a role with a headcount in each, one without in a1."""
    root = DepartmentFactory(code="root", parent=None)
    a = DepartmentFactory(code="a", parent=root)
    a1 = DepartmentFactory(code="a1", parent=a)
    a11 = DepartmentFactory(code="a11", parent=a1)
    b = DepartmentFactory(code="b", parent=root)
    b1 = DepartmentFactory(code="b1", parent=b)
    for number, department in enumerate([root, a, a1, a11, b, b1], start=1):
        RoleFactory(department=department, headcount=number)
    RoleFactory(department=a1, headcount=None)
    return {d.code: d for d in (root, a, a1, a11, b, b1)}


def fresh(department):
    return Department.objects.get(pk=department.pk)


def test_role_writes_reach_every_active_department_above(tree):
    assert branch(tree["root"]) == (7, 21, 1)
    assert branch(tree["a"]) == (4, 9, 1)
    assert branch(tree["a1"]) == (3, 7, 1)
    role = RoleFactory(department=tree["a11"], headcount=10)
    assert branch(tree["root"]) == (8, 31, 1) and branch(tree["a1"]) == (4, 17, 1)
    role.headcount = None
    role.save()
    assert branch(tree["a"]) == (5, 9, 2)
    role.is_active = False
    role.save()
    assert branch(tree["root"]) == (7, 21, 1)
    role.is_active = True
    role.department = tree["b1"]
    role.save()
    assert branch(tree["b"]) == (3, 11, 1) and branch(tree["a"]) == (4, 9, 1)
    role.delete()
    assert branch(tree["root"]) == (7, 21, 1)
    assert_agree()


def test_bulk_and_set_based_role_writes(tree):
    Role.objects.bulk_create(
        [
            Role(code=f"bulk-{n}", title=f"bulk {n}", department=tree["a11"], headcount=n or None)
            for n in range(4)
        ]
    )
    assert branch(tree["root"]) == (11, 27, 2)
    Role.objects.filter(code__startswith="bulk-").update(department=tree["b1"])
    assert branch(tree["a"]) == (4, 9, 1) and branch(tree["b"]) == (6, 17, 1)
    assert_agree()
    roles = list(Role.objects.filter(code__startswith="bulk-"))
    for role in roles:
        role.headcount = 1
    Role.objects.bulk_update(roles, ["headcount"])
    assert branch(tree["b"]) == (6, 15, 0)
    Role.objects.filter(code__startswith="bulk-").delete()
    assert branch(tree["b"]) == (2, 11, 0)
    Role.objects.all().delete()
    assert DepartmentRoleTotals.objects.count() == 0
    assert_agree()


def test_archiving_a_department_takes_its_branch_off_above_and_restoring_brings_it_back(tree):
    department_archive(department=tree["a1"])
    # a1 counts its own roles only; nothing of it counts above it.
    assert branch(tree["a1"]) == (2, 3, 1)
    assert branch(tree["a11"]) == (1, 4, 0)
    assert branch(tree["a"]) == (1, 2, 0)
    assert branch(tree["root"]) == (4, 14, 0)
    assert_agree()
    # A role written below an archived department counts nowhere above it.
    RoleFactory(department=tree["a11"], headcount=100)
    assert branch(tree["a"]) == (1, 2, 0) and branch(tree["a11"]) == (2, 104, 0)
    assert_agree()

    a1 = fresh(tree["a1"])
    a1.is_active = True
    a1.save()
    # Restored on its own: its archived child still counts nothing above it.
    assert branch(tree["a1"]) == (2, 3, 1) and branch(tree["a"]) == (3, 5, 1)
    a11 = fresh(tree["a11"])
    a11.is_active = True
    a11.save()
    assert branch(tree["root"]) == (8, 121, 1)
    assert_agree()


def test_archiving_the_root_leaves_it_its_own_roles(tree):
    department_archive(department=tree["root"])
    assert branch(tree["root"]) == (1, 1, 0)
    assert_agree()


def test_moves_to_another_branch_and_within_one(tree):
    department_move(department=fresh(tree["a1"]), target=fresh(tree["b1"]), position="last-child")
    assert branch(tree["a"]) == (1, 2, 0)
    assert branch(tree["b1"]) == (4, 13, 1) and branch(tree["b"]) == (5, 18, 1)
    assert branch(tree["root"]) == (7, 21, 1)
    assert_agree()
    # Within its branch: up a level, then beside its sibling.
    department_move(department=fresh(tree["a11"]), target=fresh(tree["b"]), position="last-child")
    assert branch(tree["b1"]) == (3, 9, 1) and branch(tree["b"]) == (5, 18, 1)
    assert_agree()
    department_move(department=fresh(tree["a11"]), target=fresh(tree["b1"]), position="left")
    assert_agree()
    # An archived department moves with its own roles only.
    department_archive(department=tree["a1"])
    department_move(department=fresh(tree["a1"]), target=fresh(tree["a"]), position="first-child")
    assert branch(tree["a"]) == (1, 2, 0) and branch(tree["a1"]) == (2, 3, 1)
    assert_agree()


def test_inserting_and_deleting_departments(tree):
    new = DepartmentFactory(code="new", parent=tree["a11"])
    assert branch(new) is None
    RoleFactory(department=new, headcount=5)
    assert branch(tree["root"]) == (8, 26, 1)
    Role.objects.filter(department__in=[new, tree["a11"]]).delete()
    Department.objects.filter(code__in=["new", "a11"]).delete()
    assert branch(tree["a"]) == (3, 5, 1) and branch(tree["root"]) == (6, 17, 1)
    assert_agree()


def test_a_restore_from_the_history_moves_the_branch_back(tree):
    a1 = fresh(tree["a1"])
    before = a1.history.latest().history_id
    department_move(department=a1, target=fresh(tree["b"]), position="last-child")
    assert branch(tree["a"]) == (1, 2, 0)
    assert_agree()
    object_restore(model=Department, history_id=before)
    assert branch(tree["a"]) == (4, 9, 1) and branch(tree["b"]) == (2, 11, 0)
    assert_agree()


def test_an_import_that_moves_archives_and_adds(seed_org):
    assert_agree()
    data = yaml.safe_load(organisation_export())
    first, second = data["departments"][0], data["departments"][1]
    # The first top-level department moves below the second, whose first child is archived
    # (with its subtree, as the file must say).
    second.setdefault("departments", []).append(first)
    del data["departments"][0]

    def archive(spec):
        spec["is_active"] = False
        for child in spec.get("departments", []):
            archive(child)

    if second["departments"][0] is not first:
        archive(second["departments"][0])
    organisation_import(spec=parse_org_file(yaml.safe_dump(data, allow_unicode=True)))
    moved = Department.objects.get(code=first["code"])
    assert moved.parent.code == second["code"]
    assert_agree()


def test_a_generated_organisation(large_org):
    assert branch(large_org)[0] == Role.objects.filter(is_active=True).count()
    assert_agree()
    # A set-based archive of a big subtree, as archive_descendants() writes it.
    big = large_org.get_children().first()
    department_archive(department=big)
    assert_agree()
    fresh(big).save()


def test_set_based_archive_and_restore_of_a_subtree_in_one_statement(tree):
    # Every department of a's subtree changes in one UPDATE, in whatever order the database
    # takes the rows (PostgreSQL's row triggers then run once the statement is done).
    subtree = Department.objects.filter(code__in=["a", "a1", "a11"])
    subtree.update(is_active=False)
    assert branch(tree["a"]) == (1, 2, 0) and branch(tree["a1"]) == (2, 3, 1)
    assert branch(tree["root"]) == (3, 12, 0)
    assert_agree()
    subtree.update(is_active=True)
    assert branch(tree["root"]) == (7, 21, 1) and branch(tree["a"]) == (4, 9, 1)
    assert_agree()
