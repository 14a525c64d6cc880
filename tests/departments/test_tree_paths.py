"""Paths and branch totals at the cost of what is shown: ancestors by the parent links, branch
totals from the totals the database keeps, in a fixed number of queries."""

import pytest

from departments.models import Department
from departments.services import department_archive
from departments.tree import ancestors, branch_role_totals, load_branch
from roles.models import Role
from tests.factories import DepartmentFactory, RoleFactory


@pytest.mark.parametrize("include_self", [False, True])
def test_ancestors_by_the_parent_links_are_the_nested_sets(seed_org, include_self):
    for department in Department.objects.all():
        assert ancestors(department, include_self=include_self) == list(
            department.get_ancestors(include_self=include_self)
        ), department.code


def test_ancestors_cost_one_query_and_none_for_the_root(seed_org, django_assert_num_queries):
    leaf = Department.objects.filter(children__isnull=True).order_by("-lft").first()
    with django_assert_num_queries(1):
        path = ancestors(leaf)
    assert path[0] == seed_org and path[-1] == leaf.parent
    with django_assert_num_queries(0):
        assert ancestors(seed_org) == []


def branch(department):
    """A department's branch totals by a plain count: active roles of it and of the active
    departments below it with no archived department between; its own only if archived."""
    if not department.is_active:
        branch = Department.objects.filter(pk=department.pk)
    else:
        branch = Department.objects.descendants_of(department, include_self=True).exclude(
            pk__in=Department.objects.descendants_of(department).hidden().values("pk")
        )
    roles = list(Role.objects.filter(is_active=True, department__in=branch))
    own = sum(1 for role in roles if role.department_id == department.pk)
    return (
        own,
        len(roles),
        sum(role.headcount or 0 for role in roles),
        sum(1 for role in roles if role.headcount is None),
    )


@pytest.fixture
def archived_ranges(db):
    """root > a > (a1 > a11, a2 archived > a21 left active); root > b archived > b1."""
    root = DepartmentFactory(code="root", parent=None)
    a = DepartmentFactory(code="a", parent=root)
    a1 = DepartmentFactory(code="a1", parent=a)
    a11 = DepartmentFactory(code="a11", parent=a1)
    a2 = DepartmentFactory(code="a2", parent=a)
    a21 = DepartmentFactory(code="a21", parent=a2)
    b = DepartmentFactory(code="b", parent=root)
    b1 = DepartmentFactory(code="b1", parent=b)
    for n, department in enumerate([root, a, a1, a11, a2, a21, b, b1]):
        RoleFactory(department=department, headcount=n + 1)
        RoleFactory(department=department, headcount=None)
        RoleFactory(department=department, headcount=5, is_active=False)
    department_archive(department=a2)
    department_archive(department=b)
    # As older versions allowed: an active department under an archived one.
    Department.objects.filter(pk=a21.pk).update(is_active=True)
    return root


def test_branch_totals_leave_out_archived_ranges(archived_ranges):
    departments = list(Department.objects.order_by("lft"))
    totals = branch_role_totals([d.pk for d in departments])
    for department in departments:
        assert totals[department.pk] == branch(department), department.code
    # A department whose branch has no active role has no kept row.
    empty = DepartmentFactory(code="empty", parent=Department.objects.get(code="a"))
    assert branch_role_totals([empty.pk]) == {}


@pytest.mark.parametrize("include_archived", [False, True])
def test_a_loaded_branch_adds_up_its_childrens_branches(archived_ranges, include_archived):
    for department in Department.objects.order_by("lft"):
        node = load_branch(department, include_archived=include_archived)
        _own, count, seats, unknown = branch(department)
        assert (node.subtree_role_count, node.seats, node.seats_unknown) == (
            count,
            seats,
            unknown,
        ), department.code
        for child in node.children:
            assert (child.role_count, child.subtree_role_count) == branch(child)[:2]
        paged = load_branch(department, include_archived=include_archived, children=slice(0, 1))
        assert paged.subtree_role_count == node.subtree_role_count


def test_a_branch_costs_the_same_queries_whatever_its_size(large_org, django_assert_num_queries):
    big = Department.objects.get(code="gen-1")
    leaf = Department.objects.filter(children__isnull=True).order_by("-lft").first()
    with django_assert_num_queries(3):
        load_branch(leaf)
    with django_assert_num_queries(3):
        node = load_branch(big)
    assert node.subtree_role_count == branch(big)[1] > 100
