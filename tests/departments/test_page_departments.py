"""The departments of a department page, read in one query (departments.views.page_departments):
the department and its ancestors as the model instances give them, and its node as
load_branch() builds it, in every language, with archived branches and roles."""

import pytest
from django.utils import translation

from departments.models import Department
from departments.services import department_archive
from departments.tree import ancestors, load_branch
from departments.views import branch_accent, page_departments
from tests.factories import DepartmentFactory, RoleFactory

LANGUAGES = ("zh-hans", "en", "zh-hant")


@pytest.fixture
def mixed_org(large_org):
    """The generated organisation with an archived branch, an archived department deeper down,
    roles without headcount, an archived role, and texts missing in English."""
    level1 = list(Department.objects.filter(level=1).order_by("lft"))
    department_archive(department=level1[1])
    deep = Department.objects.descendants_of(level1[2]).filter(level=3).first()
    department_archive(department=deep)
    RoleFactory(department=level1[0], headcount=None)
    RoleFactory(department=level1[0], headcount=4, is_active=False)
    DepartmentFactory(
        parent=level1[0],
        code="no-english",
        name="无英文",
        name_en="",
        tagline="口号",
        tagline_en="",
    )
    return large_org


def described(department):
    """What the page reads of the department and of each of its ancestors."""
    return (
        department.pk,
        department.code,
        department.parent_id,
        (department.tree_id, department.lft, department.rght, department.level),
        department.is_active,
        department.get_absolute_url(),
        department.name,
        department.name_en,
        department.name_zh_hans,
        department.tagline or "",
        department.positioning or "",
        department.description or "",
    )


def node_figures(node):
    return (
        node.code,
        node.accent,
        node.role_count,
        node.subtree_role_count,
        node.seats,
        node.seats_unknown,
        node.is_active,
        node.name,
        node.tagline,
        node.get_absolute_url(),
    )


@pytest.mark.parametrize("include_archived", [False, True])
@pytest.mark.parametrize("language", LANGUAGES)
def test_page_departments_read_what_the_instances_and_load_branch_give(
    mixed_org, language, include_archived
):
    departments = Department.objects.filter(level__lte=2) | Department.objects.filter(
        code="no-english"
    )
    checked = 0
    with translation.override(language):
        for department in departments.order_by("lft"):
            path, node = page_departments(department.code, include_archived=include_archived)
            expected_path = ancestors(department, include_self=True)
            expected = load_branch(
                department, include_archived=include_archived, accent=branch_accent(expected_path)
            )

            assert [described(item) for item in path] == [
                described(item) for item in expected_path
            ], department.code
            assert node_figures(node) == node_figures(expected)
            assert [node_figures(child) for child in node.children] == [
                node_figures(child) for child in expected.children
            ], department.code
            checked += 1
    assert checked > 50


def test_page_departments_of_an_unknown_code_find_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert page_departments("nowhere") == ([], None)
