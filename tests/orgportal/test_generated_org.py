"""The generator of large organisations writes a valid tree with its roles and duties."""

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from departments.models import Department
from departments.services import department_tree_rebuild, tree_snapshot
from orgportal import generated_org
from orgportal.changes.models import Change
from orgportal.generated_org import (
    BROAD_TERM,
    MISSING_TERM,
    MODELS,
    PENDING_TABLE,
    RARE_EVERY,
    RARE_TERM,
    SetAsideError,
    build_large_org,
    nested_set_fields,
)
from roles.models import DepartmentRoleTotals, Duty, Role
from roles.totals import total_problems
from teams.models import ProjectTeam, TeamMember


def test_nested_set_fields_number_a_tree_depth_first_in_sibling_order():
    #      0
    #    1   2
    #   3 4
    assert nested_set_fields([None, 0, 0, 1, 1]) == [
        (1, 10, 0),
        (2, 7, 1),
        (8, 9, 1),
        (3, 4, 2),
        (5, 6, 2),
    ]


def test_nested_set_fields_handle_a_chain_deeper_than_python_recursion():
    depth = 5000
    fields = nested_set_fields([None] + list(range(depth - 1)))
    assert fields[0] == (1, 2 * depth, 0)
    assert fields[-1] == (depth, depth + 1, depth - 1)


def test_generated_org_has_the_asked_size_and_the_tree_rebuild_agrees(db):
    org = build_large_org(departments=100, roles_per_department=3, duties_per_role=4, fanout=3)
    assert (org.departments, org.roles, org.duties) == (100, 300, 1200)
    assert Department.objects.count() == 100
    assert Role.objects.count() == 300
    assert Duty.objects.count() == 1200
    assert org.root.code == "company" and org.root.get_descendant_count() == 99
    # django-mptt computes the same nested set from the parent links.
    before = tree_snapshot()
    assert department_tree_rebuild() == 0
    assert tree_snapshot() == before


def test_generated_org_writes_the_search_terms_the_benchmark_looks_for(db):
    org = build_large_org(departments=50, roles_per_department=5, duties_per_role=8)
    assert Duty.objects.filter(text__contains=BROAD_TERM).count() == org.duties
    assert Duty.objects.filter(text__contains=RARE_TERM).count() == org.duties // RARE_EVERY
    assert not Duty.objects.filter(text__contains=MISSING_TERM).exists()


def test_generated_org_leaves_ids_free_for_later_inserts(db):
    build_large_org(departments=20)
    role = Role.objects.create(
        code="after", department=Department.objects.get(code="gen-3"), title="后来"
    )
    Duty.objects.create(role=role, text="后来的职责")
    department = Department.objects.create(code="later", name="后来", parent_id=role.department_id)
    assert department.pk > role.department_id


def test_generated_departments_role_totals_are_kept_by_the_roles_triggers(db):
    # The roles go in by one INSERT … SELECT: the roles' triggers (not disabled) count them.
    build_large_org(departments=20, roles_per_department=3, duties_per_role=1, teams=2)
    assert total_problems() == []
    # Headcounts 1, 2 and 3.
    assert set(DepartmentRoleTotals.objects.values_list("roles", "seats", "seats_unknown")) == {
        (3, 6, 0)
    }
    assert DepartmentRoleTotals.objects.count() == 20


def test_generated_org_refuses_a_table_that_holds_departments(seed_org):
    with pytest.raises(ValueError, match="empty"):
        build_large_org(departments=10)


@pytest.mark.parametrize("model", [Department, Role, Duty, ProjectTeam, TeamMember])
def test_generated_rows_are_what_a_save_writes(db, model):
    # The rows go in without model instances: a clean and a save of one in the default
    # language change nothing but its update time, and it is recorded as created.
    build_large_org(departments=12, roles_per_department=2, duties_per_role=2, teams=2)
    stored = model.objects.order_by("pk").last()
    before = stored_row(model, stored.pk)

    with translation.override(settings.LANGUAGE_CODE):
        stored.full_clean()
        stored.save()

    assert stored_row(model, stored.pk) == before
    assert list(stored.history.values_list("history_type", flat=True)) == ["~", "+"]


def stored_row(model, pk):
    """The row as stored, every column but the update time (in SQL: django-modeltranslation
    reads a translated field's own column as the active language's)."""
    columns = [f.column for f in model._meta.concrete_fields if f.name != "updated_at"]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} = %s",
            [pk],
        )
        return dict(zip(columns, cursor.fetchone(), strict=True))


def test_generated_duties_and_roles_read_as_numbered(db):
    # Derived in SQL from the rows above them: duty i of the organisation, role j of a department.
    build_large_org(departments=3, roles_per_department=2, duties_per_role=3, teams=0)
    role = Role.objects.get(code="gen-role-1-1")
    assert (role.department.code, role.title, role.title_en) == (
        "gen-1",
        "生成岗位1",
        "Generated role 1",
    )
    assert (role.headcount, role.sort_order) == (2, 1)
    duties = list(Duty.objects.filter(role=role).order_by("sort_order"))
    assert [duty.text for duty in duties] == [
        f"{BROAD_TERM}{number}：按月复盘第{index}项工作"
        for number, index in ((0, 10), (1, 11), (2, 12))
    ]
    assert [duty.area for duty in duties] == ["SEO方向", "内容方向", "数据方向"]
    assert [duty.pk - duties[0].pk for duty in duties] == [0, 1, 2]


def test_the_change_log_follows_the_records_model_by_model(db):
    build_large_org(departments=40, roles_per_department=2, duties_per_role=2, teams=2)

    changes = list(Change.objects.order_by("id").values_list("seq", "model", "history_id"))
    labels = [model._meta.label_lower for model in MODELS]
    assert [label for label in labels if any(c[1] == label for c in changes)] == labels
    assert [c[1] for c in changes] == sorted((c[1] for c in changes), key=labels.index)
    assert [c[2] for c in changes if c[1] == "roles.duty"] == sorted(
        Duty.history.values_list("history_id", flat=True)
    )
    seqs = [c[0] for c in changes]
    assert None not in seqs and seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def schema(tables):
    """The definitions of the indexes and constraints of ``tables`` (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) ORDER BY 1",
            [tables],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        return indexes, cursor.fetchall()


@pytest.mark.postgres
def test_generated_org_leaves_the_indexes_and_constraints_as_they_were(db):
    # On PostgreSQL the load drops the foreign keys and plain indexes of the tables it fills
    # (and of the history and the change log while those are empty) and creates them again.
    tables = [model._meta.db_table for model in MODELS]
    tables += [model.history.model._meta.db_table for model in MODELS]
    tables.append(Change._meta.db_table)
    before = schema(tables)
    # A change this transaction logged before: the change log is not empty, so its indexes stay.
    earlier = Change.objects.create(
        model="orgportal.organisationprofile",
        history_id=1,
        object_id=1,
        history_date=timezone.now(),
    )

    build_large_org(departments=30, roles_per_department=2, duties_per_role=2, teams=2)

    assert schema(tables) == before
    earlier.refresh_from_db()
    # Numbered first, as it was logged first (log_held_back()).
    assert earlier.seq < Change.objects.exclude(pk=earlier.pk).order_by("seq").first().seq
    assert Duty.objects.filter(text__icontains=RARE_TERM).count() == 0
    assert Duty.objects.filter(text__icontains=BROAD_TERM).count() == 120


def pending_table_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PENDING_TABLE])
        return cursor.fetchone()[0]


def generated_tables():
    tables = [model._meta.db_table for model in MODELS]
    tables += [model.history.model._meta.db_table for model in MODELS]
    return [*tables, Change._meta.db_table]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_set_aside_is_built_after_the_commit_in_parallel(db):
    # Committed first, then the indexes and constraints built again in sessions of their own
    # (foreign keys validated), the tables analyzed: everything as it was when it returns.
    tables = generated_tables()
    before = schema(tables)

    build_large_org(departments=30, roles_per_department=2, duties_per_role=2, teams=2)

    assert schema(tables) == before
    assert not pending_table_exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) "
            "AND NOT convalidated",
            [tables],
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = ANY(%s::regclass[]) "
            "AND NOT (indisvalid AND indisready)",
            [tables],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND last_analyze IS NULL",
            [[model._meta.db_table for model in MODELS]],
        )
        assert cursor.fetchall() == []
    assert Duty.objects.filter(text__icontains=BROAD_TERM).count() == 120
    assert total_problems() == [] and DepartmentRoleTotals.objects.count() == 30
    changes = list(Change.objects.order_by("id").values_list("seq", flat=True))
    assert len(changes) == 30 + 60 + 120 + 2 + 2 * 6 and changes == sorted(set(changes))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failed_build_after_the_commit_raises_and_the_next_call_builds_what_is_missing(
    db, monkeypatch
):
    tables = generated_tables()
    before = schema(tables)
    save_pending = generated_org._save_pending

    def save_pending_and_a_failing_statement(using, set_aside):
        save_pending(using, set_aside)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {PENDING_TABLE} (position, phase, statement) "
                "VALUES (-1, 0, 'SELECT 1 / 0')"
            )

    monkeypatch.setattr(generated_org, "_save_pending", save_pending_and_a_failing_statement)

    with pytest.raises(SetAsideError, match="division by zero") as raised:
        build_large_org(departments=30, roles_per_department=2, duties_per_role=2, teams=2)

    # The rows are committed, and what is not built yet is said and kept.
    assert Department.objects.count() == 30
    assert PENDING_TABLE in str(raised.value)
    assert pending_table_exists() and schema(tables) != before
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE position = -1")
    # The next call builds them before it refuses the full table.
    with pytest.raises(ValueError, match="empty"):
        build_large_org(departments=5)
    assert not pending_table_exists()
    assert schema(tables) == before
