"""The chart's rows written in SQL (path_rows, child_page): the same rows as the ORM's
expressions of the same figures (descendants shown, colour rank), archived ranges included."""

import pytest
from django.db.models import Q

from departments.models import Department
from departments.services import department_archive
from orgportal.chart.open_tree import _fields, _with_figures, child_page, path_rows


@pytest.fixture
def archived_org(large_org):
    level1 = list(Department.objects.filter(level=1).order_by("lft"))
    department_archive(department=level1[1])
    deep = Department.objects.descendants_of(level1[0]).filter(level=3).first()
    department_archive(department=deep)
    # An archived department inside another archived range, and an active one below it.
    inner = Department.objects.descendants_of(level1[1]).filter(level=2).first()
    Department.objects.filter(pk=inner.pk).update(is_active=True)
    return large_org


def orm_rows(departments, include_archived):
    return list(_with_figures(departments, include_archived).values(*_fields()))


@pytest.mark.parametrize("include_archived", [False, True])
def test_child_pages_have_the_orms_figures(archived_org, include_archived):
    parents = Department.objects.filter(Q(level__lte=1) | Q(level=2, pk__lt=60))
    for parent in parents:
        children = Department.objects.filter(parent=parent).order_by("lft")
        if not include_archived:
            children = children.filter(is_active=True)
        expected = orm_rows(children, include_archived)
        rows = child_page(parent.pk, include_archived=include_archived, offset=0, limit=1000)
        assert [{k: v for k, v in row.items() if k != "siblings"} for row in rows] == expected
        assert {row["siblings"] for row in rows} <= {len(expected)}
        page = child_page(parent.pk, include_archived=include_archived, offset=1, limit=2)
        assert [row["pk"] for row in page] == [row["pk"] for row in expected[1:3]]


@pytest.mark.parametrize("include_archived", [False, True])
def test_paths_have_the_orms_rows(archived_org, include_archived):
    for department in Department.objects.filter(pk__lt=80):
        path = Department.objects.filter(
            Q(parent__isnull=True)
            | Q(tree_id=department.tree_id, lft__lte=department.lft, rght__gte=department.rght)
        ).order_by("tree_id", "lft")
        expected = orm_rows(path, include_archived)
        assert path_rows(department.code, include_archived=include_archived) == expected
    root = orm_rows(Department.objects.filter(parent__isnull=True), include_archived)
    assert path_rows("", include_archived=include_archived) == root
    assert path_rows("no-such-code", include_archived=include_archived) == root
