"""import_org gives PostgreSQL's planner statistics of what it wrote, after its commit."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department
from orgportal.management.commands.import_org import analyze_written_tables, written_tables


def import_seed(django_capture_on_commit_callbacks, **options):
    # The callbacks run as the inner block ends, inside the capture of the queries.
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        call_command("import_org", stdout=StringIO(), stderr=StringIO(), **options)
    return callbacks, [query["sql"] for query in queries.captured_queries]


def test_the_import_analyzes_the_tables_it_wrote_after_its_commit(
    db, django_capture_on_commit_callbacks
):
    callbacks, sql = import_seed(django_capture_on_commit_callbacks)

    # Run after the commit, not inside the import's transaction.
    assert analyze_written_tables in callbacks
    analyzed = [statement for statement in sql if statement.startswith("ANALYZE")]
    if connection.vendor != "postgresql":
        assert analyzed == []
        return
    assert len(analyzed) == 1
    for table in ("departments_department", "roles_role", "roles_duty", "roles_department_totals"):
        assert f'"{table}"' in analyzed[0]
    assert set(written_tables()) >= {"departments_department", "roles_role"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'departments_department'")
        (estimated,) = cursor.fetchone()
    # Statistics of the rows just written (a table never analyzed says -1).
    assert estimated == Department.objects.count()


def test_a_dry_run_analyzes_nothing(db, django_capture_on_commit_callbacks):
    callbacks, sql = import_seed(django_capture_on_commit_callbacks, dry_run=True)

    assert analyze_written_tables not in callbacks
    assert not any(statement.startswith("ANALYZE") for statement in sql)


@pytest.mark.postgres
def test_the_analyze_names_only_tables_that_exist(db):
    with connection.cursor() as cursor:
        for table in written_tables():
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
            assert cursor.fetchone()[0], table
