"""Trees built from rows (departments/tree.py): the totals and counts that the chart, the
department pages and the tree API show, checked against a plain count in the database; a big
department's page shows its direct children only; caches hold no model instances."""

import pickle

import pytest
from django.core.cache import cache
from django.db import models
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from departments.access import can_change
from departments.api.serializers import DepartmentTreeSerializer
from departments.api.views import HiddenDepartments
from departments.models import Department
from departments.services import department_archive
from departments.tree import load_branch, load_tree
from roles.models import Role
from tests.conftest import token_client
from tests.departments.test_pages import DEPARTMENT_PAGE_QUERIES
from tests.factories import DepartmentFactory, RoleFactory


def expected_figures(department, *, include_archived):
    """Count by plain queries what a node of ``department`` must show."""
    below = Department.objects.descendants_of(department)
    visible_below = below if include_archived else below.visible()
    active_branch = Department.objects.descendants_of(department, include_self=True).visible()
    if not department.is_active:
        active_branch = Department.objects.filter(pk=department.pk)
    roles = Role.objects.filter(is_active=True, department__in=active_branch)
    return {
        "role_count": Role.objects.filter(is_active=True, department=department).count(),
        "subtree_role_count": roles.count(),
        "seats": sum(role.headcount or 0 for role in roles),
        "seats_unknown": roles.filter(headcount__isnull=True).count(),
        "descendant_count": visible_below.count(),
    }


def figures(node):
    return {
        "role_count": node.role_count,
        "subtree_role_count": node.subtree_role_count,
        "seats": node.seats,
        "seats_unknown": node.seats_unknown,
        "descendant_count": node.descendant_count,
    }


@pytest.fixture
def mixed_org(large_org):
    """The generated organisation with archived branches, roles without headcount, archived
    roles, and an active department left under an archived one (as older versions allowed)."""
    level1 = list(Department.objects.filter(level=1).order_by("lft"))
    department_archive(department=level1[1])
    deep = Department.objects.descendants_of(level1[2]).filter(level=3).first()
    department_archive(department=deep)
    below_archived = Department.objects.descendants_of(level1[1]).first()
    Department.objects.filter(pk=below_archived.pk).update(is_active=True)
    RoleFactory(department=level1[0], headcount=None)
    RoleFactory(department=level1[0], headcount=4, is_active=False)
    return large_org


@pytest.mark.parametrize("include_archived", [False, True])
def test_a_loaded_tree_has_the_totals_of_a_plain_count(mixed_org, include_archived):
    root = load_tree(Department.objects.all(), include_archived=include_archived)

    visible = set(Department.objects.visible().values_list("pk", flat=True))
    checked = 0
    for node in root.walk():
        if node.level > 2 or node.pk not in visible:
            continue
        department = Department.objects.get(pk=node.pk)
        assert figures(node) == expected_figures(department, include_archived=include_archived), (
            node.code
        )
        checked += 1
    assert checked > 50


@pytest.mark.parametrize("include_archived", [False, True])
def test_a_loaded_branch_has_the_figures_of_the_whole_tree(mixed_org, include_archived):
    tree = {
        node.code: node
        for node in load_tree(Department.objects.all(), include_archived=include_archived).walk()
    }
    departments = Department.objects.filter(level__lte=2)
    for department in departments if include_archived else departments.visible():
        branch = load_branch(
            department,
            include_archived=include_archived,
            accent=tree[department.code].accent,
        )
        assert figures(branch) == figures(tree[department.code])
        assert [child.code for child in branch.children] == [
            child.code for child in tree[department.code].children
        ]
        for child in branch.children:
            assert figures(child) == figures(tree[child.code]), child.code
            assert child.accent == tree[child.code].accent


def test_a_page_of_children_says_whether_more_follow(large_org):
    root = Department.objects.get(code="company")
    first = load_branch(root, children=slice(0, 5))
    rest = load_branch(root, children=slice(5, 10))

    assert [c.code for c in first.children + rest.children] == [
        c.code for c in load_branch(root).children
    ]
    assert first.more_children == 1 and rest.more_children == 0


def test_a_big_departments_page_shows_its_direct_children_and_costs_like_a_leaf(
    large_org, viewer_client, django_assert_num_queries
):
    big = Department.objects.get(code="gen-1")
    leaf = Department.objects.filter(children__isnull=True).last()
    viewer_client.get(reverse("chart:home"))  # the CSRF cookie
    # The page's queries (tests/departments/test_pages.py) and, with the CSRF cookie, the
    # organisation version for its ETag.
    with django_assert_num_queries(DEPARTMENT_PAGE_QUERIES + 1) as leaf_queries:
        viewer_client.get(leaf.get_absolute_url())
    with django_assert_num_queries(len(leaf_queries)):
        response = viewer_client.get(big.get_absolute_url())

    content = response.content.decode()
    children = list(big.get_children())
    # The sub-departments' cards (the teams drawing on the branch have cards of their own).
    assert content.count('class="mini-card accent-') == len(children) == 8
    below = (big.rght - big.lft - 1) // 2
    assert below > 50
    for child in children:
        assert child.get_absolute_url() in content
    grandchild = children[0].get_children().first()
    assert grandchild.get_absolute_url() not in content


def old_tree(request_user, include_roles=False):
    """The tree API's answer as the serializer made it from model instances."""
    departments = Department.objects.all()
    if not can_change(request_user, Department):
        departments = departments.visible()
    if include_roles:
        roles = Role.objects.all()
        if not can_change(request_user, Role):
            roles = roles.filter(is_active=True)
        departments = departments.prefetch_related(
            models.Prefetch("roles", queryset=roles, to_attr="tree_roles")
        )
    request = Request(APIRequestFactory().get("/api/v1/departments/tree/"))
    context = {"request": request, "include_roles": include_roles}
    if not can_change(request_user, Department):
        context["hidden_departments"] = HiddenDepartments()
    return DepartmentTreeSerializer(departments.get_cached_trees()[0], context=context).data


@pytest.mark.parametrize("include_roles", [False, True])
@pytest.mark.parametrize("reader", ["viewer", "hr_editor"])
def test_the_tree_from_rows_answers_what_the_serializer_did(
    seed_org, request, reader, include_roles
):
    user = request.getfixturevalue(reader)
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="team", parent=digital)
    RoleFactory(department=team, is_active=False)
    department_archive(department=team)
    query = "?include_roles=1" if include_roles else ""

    answer = token_client(user).get("/api/v1/departments/tree/" + query).json()

    assert answer == old_tree(user, include_roles=include_roles)


def assert_plain(value):
    """Fail on any model instance inside ``value``."""
    assert not isinstance(value, models.Model), value
    if isinstance(value, dict):
        for key, item in value.items():
            assert_plain(key)
            assert_plain(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            assert_plain(item)
    elif hasattr(value, "__slots__"):
        for name in value.__slots__:
            assert_plain(getattr(value, name, None))


def test_the_chart_caches_no_model_instances(large_org, viewer_client):
    for query in ("", "?view=outline", "?focus=gen-9"):
        assert viewer_client.get(reverse("chart:home") + query).status_code == 200

    stored = [pickle.loads(value) for value in cache._cache.values()]
    assert stored
    for value in stored:
        assert_plain(value)
