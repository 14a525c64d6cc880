"""manage.py check_tree finds broken nested-set rows in SQL, and --fix rebuilds them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from departments.models import Department
from departments.services import department_tree_rebuild, tree_problems, tree_snapshot


def check_tree(*args):
    out, err = StringIO(), StringIO()
    call_command("check_tree", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def corrupt(sql, params):
    table = connection.ops.quote_name(Department._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), params)


def test_check_tree_passes_on_the_seed(seed_org):
    out, err = check_tree()
    assert "valid" in out and err == ""


@pytest.mark.parametrize(
    ("sql", "params", "problem"),
    [
        ("UPDATE {table} SET rght = lft WHERE code = %s", ["finance"], "bounds"),
        ("UPDATE {table} SET level = 5 WHERE code = %s", ["finance"], "level"),
        ("UPDATE {table} SET lft = 3, rght = 4 WHERE code = %s", ["finance"], "duplicate edges"),
        ("UPDATE {table} SET rght = rght + 40 WHERE code = %s", ["company"], "tree width"),
        ("UPDATE {table} SET tree_id = 2 WHERE code = %s", ["finance"], "parent containment"),
    ],
)
def test_check_tree_lists_bad_rows_and_exits_non_zero(seed_org, sql, params, problem):
    corrupt(sql, params)
    err = StringIO()
    with pytest.raises(CommandError, match="problems"):
        call_command("check_tree", stdout=StringIO(), stderr=err)
    assert f"{problem}:" in err.getvalue()


def test_check_tree_reports_a_second_root(seed_org):
    corrupt("UPDATE {table} SET parent_id = NULL WHERE code = %s", ["finance"])
    assert any(line.startswith("one root per tree") for line in tree_problems())


def test_fix_rebuilds_the_tree_and_keeps_sibling_order(seed_org):
    order = [d.code for d in seed_org.get_children()]
    corrupt("UPDATE {table} SET level = 7, rght = rght + 1 WHERE code = %s", ["digital-operations"])
    out, _ = check_tree("--fix")
    assert "Rebuilt the tree" in out and "valid" in out
    assert tree_problems() == []
    assert [d.code for d in Department.objects.get(code="company").get_children()] == order


def test_rebuild_of_a_valid_tree_changes_no_row(seed_org):
    before = tree_snapshot()
    assert department_tree_rebuild() == 0
    assert tree_snapshot() == before


def test_check_tree_finds_a_node_nested_inside_its_sibling(db):
    root = Department.objects.create(code="root", name="根")
    a = Department.objects.create(code="a", name="甲", parent=root)
    b = Department.objects.create(code="b", name="乙", parent=root)
    # root(1,6) a(2,3) b(4,5) becomes root(1,8) a(2,7) b(3,4) c(5,6): b now sits inside a.
    c = Department.objects.create(code="c", name="丙", parent=a)
    corrupt("UPDATE {table} SET lft = 1, rght = 8 WHERE id = %s", [root.pk])
    corrupt("UPDATE {table} SET lft = 2, rght = 7 WHERE id = %s", [a.pk])
    corrupt("UPDATE {table} SET lft = 3, rght = 4 WHERE id = %s", [b.pk])
    corrupt("UPDATE {table} SET lft = 5, rght = 6 WHERE id = %s", [c.pk])
    problems = tree_problems()
    assert any(line.startswith("nesting:") and "'b'" in line for line in problems)
    check_tree("--fix")
    assert tree_problems() == []


def test_check_tree_finds_ranges_that_overlap_without_nesting(db):
    root = Department.objects.create(code="root", name="根")
    a = Department.objects.create(code="a", name="甲", parent=root)
    b = Department.objects.create(code="b", name="乙", parent=root)
    # root(1,6) a(2,3) b(4,5) becomes a(2,4) b(3,5): the ranges cross, each inside the root.
    corrupt("UPDATE {table} SET lft = 2, rght = 4 WHERE id = %s", [a.pk])
    corrupt("UPDATE {table} SET lft = 3, rght = 5 WHERE id = %s", [b.pk])
    problems = tree_problems()
    assert any(line.startswith("nesting:") and "'b'" in line for line in problems)
    check_tree("--fix")
    assert tree_problems() == []


def test_check_tree_reports_a_tree_without_root(seed_org):
    # A cycle: the company hangs below one of its own departments.
    finance = Department.objects.get(code="finance")
    corrupt("UPDATE {table} SET parent_id = %s WHERE code = %s", [finance.pk, "company"])
    assert "one root per tree: (1, 0)" in tree_problems()


def test_check_tree_reports_every_root_of_a_tree_by_count(seed_org):
    corrupt("UPDATE {table} SET parent_id = NULL WHERE level = 1", [])
    roots = Department.objects.filter(level__lte=1).count()
    assert f"one root per tree: (1, {roots})" in tree_problems()


def test_check_tree_reports_a_root_narrower_than_its_tree(seed_org):
    corrupt("UPDATE {table} SET rght = rght - 2 WHERE code = %s", ["company"])
    problems = tree_problems()
    assert any(line.startswith("tree width:") and "'company'" in line for line in problems)


def test_check_tree_reports_a_second_tree(seed_org):
    leaf = Department.objects.filter(children__isnull=True).first()
    corrupt("UPDATE {table} SET tree_id = 2, parent_id = NULL, level = 0 WHERE id = %s", [leaf.pk])
    assert any(line.startswith("more than one tree:") for line in tree_problems())


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_check_tree_runs_the_same_queries_whatever_the_size(
    request, org, django_assert_num_queries
):
    request.getfixturevalue(org)
    with django_assert_num_queries(8):
        assert tree_problems() == []
