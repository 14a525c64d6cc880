"""The Department tree: its write path keeps the nested set valid and refuses bad moves."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models.deletion import ProtectedError
from django.utils import translation

from departments.models import Department
from departments.services import (
    department_archive,
    department_move,
    tree_problems,
    tree_snapshot,
)
from tests.factories import DepartmentFactory, RoleFactory, company_root


@pytest.fixture
def tree(db):
    """company > a > (a1 > a1x, a2), company > b."""
    root = company_root()
    a = DepartmentFactory(code="a", parent=root)
    a1 = DepartmentFactory(code="a1", parent=a)
    DepartmentFactory(code="a1x", parent=a1)
    DepartmentFactory(code="a2", parent=a)
    DepartmentFactory(code="b", parent=root)
    return {d.code: d for d in Department.objects.all()}


def codes(parent_code):
    return [d.code for d in Department.objects.get(code=parent_code).get_children()]


def test_inserts_append_children_in_order_and_keep_the_tree_valid(tree):
    assert codes("company") == ["a", "b"]
    assert codes("a") == ["a1", "a2"]
    assert tree_problems() == []


@pytest.mark.parametrize("position", ["first-child", "last-child", "left", "right"])
def test_move_in_every_position_keeps_the_tree_valid(tree, position):
    moved = department_move(department=tree["b"], target=tree["a2"], position=position)
    expected_parent = "a2" if position.endswith("child") else "a"
    assert moved.parent.code == expected_parent
    assert tree_problems() == []


def test_move_left_and_right_set_sibling_order(tree):
    department_move(department=tree["a2"], target=tree["a1"], position="left")
    assert codes("a") == ["a2", "a1"]
    department_move(department=tree["a2"], target=tree["a1"], position="right")
    assert codes("a") == ["a1", "a2"]


@pytest.mark.parametrize("target", ["a", "a1", "a1x"])
def test_a_department_cannot_move_into_itself_or_its_subtree(tree, target):
    with pytest.raises(ValidationError) as error:
        department_move(department=tree["a"], target=tree[target], position="last-child")
    assert "target" in error.value.message_dict
    assert codes("a") == ["a1", "a2"]
    assert tree_problems() == []


def test_setting_parent_to_a_descendant_is_refused_by_save_and_clean(tree):
    a = Department.objects.get(code="a")
    a.parent = tree["a1x"]
    with pytest.raises(ValidationError) as error:
        a.full_clean()
    assert "parent" in error.value.message_dict
    with pytest.raises(ValidationError):
        a.save()
    assert Department.objects.get(code="a").parent.code == "company"
    assert tree_problems() == []


def test_nothing_can_stand_beside_the_root(tree):
    with pytest.raises(ValidationError) as error:
        department_move(department=tree["b"], target=tree["company"], position="right")
    assert "target" in error.value.message_dict


def test_a_second_root_is_refused(tree):
    with pytest.raises(ValidationError) as error:
        Department.objects.create(code="other-company", name="另一家公司")
    assert "parent" in error.value.message_dict
    assert Department.objects.root_nodes().count() == 1


def test_unknown_position_is_refused(tree):
    with pytest.raises(ValidationError) as error:
        department_move(department=tree["b"], target=tree["a"], position="inside")
    assert "position" in error.value.message_dict


def test_a_stale_instance_never_undoes_another_writers_move(tree):
    stale_a1 = Department.objects.get(code="a1")
    department_move(department=tree["a1"], target=tree["b"], position="last-child")
    stale_a1.name = "renamed"
    stale_a1.save()
    fresh = Department.objects.get(code="a1")
    assert (fresh.name, fresh.parent.code) == ("renamed", "b")
    assert tree_problems() == []


def test_insert_under_a_stale_parent_instance_keeps_the_tree_valid(tree):
    stale_b = Department.objects.get(code="b")
    for number in range(3):
        DepartmentFactory(code=f"b{number}", parent=Department.objects.get(code="b"))
    DepartmentFactory(code="late", parent=stale_b)
    assert codes("b") == ["b0", "b1", "b2", "late"]
    assert tree_problems() == []


def test_move_with_stale_node_and_target_keeps_the_tree_valid(tree):
    stale_a2, stale_b = Department.objects.get(code="a2"), Department.objects.get(code="b")
    department_move(department=tree["a1"], target=tree["b"], position="first-child")
    department_move(department=stale_a2, target=stale_b, position="first-child")
    assert codes("b") == ["a2", "a1"]
    assert tree_problems() == []


def test_deleting_a_department_with_children_is_refused_with_the_reason(tree):
    with translation.override("en"), pytest.raises(ProtectedError) as error:
        tree["a"].delete()
    assert "2 departments" in error.value.args[0]
    assert Department.objects.filter(code="a").exists()


def test_deleting_a_department_with_roles_is_refused_with_the_reason(tree):
    RoleFactory(department=tree["b"])
    with translation.override("en"), pytest.raises(ProtectedError) as error:
        tree["b"].delete()
    assert "1 role" in error.value.args[0]
    assert "archive" in error.value.args[0]


def test_deleting_a_leaf_closes_the_gap(tree):
    Department.objects.get(code="a1x").delete()
    assert codes("a1") == []
    assert tree_problems() == []


def test_queryset_delete_goes_through_the_write_path(tree):
    deleted, _ = Department.objects.filter(code__in=["a1x", "a2", "b"]).delete()
    assert deleted == 3
    assert tree_problems() == []
    assert sorted(Department.objects.values_list("code", flat=True)) == ["a", "a1", "company"]


def test_archive_archives_the_whole_subtree(tree):
    assert department_archive(department=tree["a"]) == 4
    assert set(Department.objects.filter(is_active=False).values_list("code", flat=True)) == {
        "a",
        "a1",
        "a1x",
        "a2",
    }


def test_subtree_queries(tree):
    a = Department.objects.get(code="a")
    below = Department.objects.descendants_of(a).values_list("code", flat=True)
    assert sorted(below) == ["a1", "a1x", "a2"]
    a1x = Department.objects.get(code="a1x")
    above = Department.objects.ancestors_of(a1x).values_list("code", flat=True)
    assert list(above) == ["company", "a", "a1"]
    assert "a" not in Department.objects.not_descendants_of(a, include_self=True).values_list(
        "code", flat=True
    )


def test_a_departments_name_follows_the_language(tree):
    department = Department(name="财务部", name_en="Finance")
    with translation.override("en"):
        assert str(department) == "Finance"
    with translation.override("zh-hans"):
        assert str(department) == "财务部"
    with translation.override("en"):
        assert str(Department(name="财务部")) == "财务部"


def test_archiving_a_department_by_saving_it_archives_its_subtree(tree):
    a = Department.objects.get(code="a")
    a.is_active = False
    a.save()
    archived = set(Department.objects.filter(is_active=False).values_list("code", flat=True))
    assert archived == {"a", "a1", "a1x", "a2"}


def test_reactivating_a_department_leaves_its_subtree_as_it_is(tree):
    department_archive(department=tree["a"])
    a = Department.objects.get(code="a")
    a.is_active = True
    a.save()
    assert not Department.objects.get(code="a1").is_active


def test_mptt_manager_writes_take_the_lock(tree, monkeypatch):
    calls = []
    monkeypatch.setattr("departments.locking.lock_tree", lambda using="default": calls.append(1))
    Department.objects.move_node(Department.objects.get(code="b"), tree["a2"], "last-child")
    Department.objects.rebuild()
    assert len(calls) >= 2
    assert tree_problems() == []


def test_a_second_root_is_refused_by_clean(tree):
    other = Department(code="other", name="另一家公司")
    with pytest.raises(ValidationError) as error:
        other.full_clean()
    assert "parent" in error.value.message_dict


def test_reserved_codes_are_refused(tree):
    department = Department(code="tree", name="树", parent=tree["company"])
    with pytest.raises(ValidationError) as error:
        department.full_clean()
    assert "code" in error.value.message_dict


@pytest.mark.parametrize(
    ("mover", "target", "position"),
    [
        ("a2", "a1", "right"),
        ("a1", "a2", "left"),
        ("a2", "a", "last-child"),
        ("a1", "a", "first-child"),
        ("a2", "a2", "left"),
        ("a2", "a2", "right"),
    ],
)
def test_a_move_to_where_the_department_stands_writes_nothing(tree, mover, target, position):
    department = Department.objects.get(code=mover)
    before = tree_snapshot()
    assert department.move_to(Department.objects.get(code=target), position) is False
    assert tree_snapshot() == before
    assert Department.objects.get(code=mover).updated_at == department.updated_at


def test_a_real_move_reports_that_it_moved(tree):
    assert Department.objects.get(code="a2").move_to(tree["a1"], "left") is True
    assert codes("a") == ["a2", "a1"]
