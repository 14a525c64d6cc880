"""Moves write only the rows between the old and the new place, and leave django-mptt's tree."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from mptt.managers import TreeManager

from departments.models import Department, DepartmentManager
from departments.services import department_move, tree_problems, tree_snapshot

POSITIONS = ["first-child", "last-child", "left", "right"]


def moves(root):
    """(node, target) pairs in every direction: forwards, backwards, up, down, deep."""
    level1 = list(Department.objects.filter(level=1).order_by("lft"))
    level2 = list(Department.objects.filter(level=2).order_by("lft"))
    deep = Department.objects.order_by("-level", "lft").first()
    return [
        (level2[0], level1[-1]),
        (level2[-1], level1[0]),
        (level1[1], level2[0]),
        (deep, level1[2]),
        (level2[5], deep),
        (level1[3], level1[4]),
        (level1[4], level1[3]),
    ]


def moved_tree(node_code, target_code, position):
    """Move and return the tree as it is left, undoing the move afterwards."""
    with transaction.atomic():
        node = Department.objects.get(code=node_code)
        target = Department.objects.get(code=target_code)
        department_move(department=node, target=target, position=position)
        snapshot = tree_snapshot()
        assert tree_problems() == []
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.parametrize("position", POSITIONS)
def test_a_move_leaves_the_tree_django_mptts_move_leaves(large_org, monkeypatch, position):
    for node, target in moves(large_org):
        ours = moved_tree(node.code, target.code, position)
        with monkeypatch.context() as patch:
            patch.setattr(
                DepartmentManager,
                "_move_child_within_tree",
                TreeManager._move_child_within_tree,
            )
            theirs = moved_tree(node.code, target.code, position)
        assert ours == theirs, (node.code, target.code, position)


def test_a_move_updates_only_the_rows_between_the_two_places(large_org):
    level1 = list(Department.objects.filter(level=1).order_by("lft"))
    node = Department.objects.filter(parent=level1[1]).order_by("lft").first()
    with CaptureQueriesContext(connection) as queries:
        department_move(department=node, target=level1[2], position="first-child")
    update = next(q["sql"] for q in queries if "CASE WHEN" in q["sql"])
    where = update.split("WHERE")[-1]
    # Limited to the edges between the two places, not every row of the tree.
    assert where.count("BETWEEN") == 2
