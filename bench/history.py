"""The history's lines: what a record adds to a write and to an import, and as-of reads on an
organisation with thousands of recorded changes (orgportal.changes)."""

import datetime
import statistics
import time
import urllib.parse
from unittest import mock

from django.db import connection
from django.test import override_settings
from django.utils import timezone

from departments.models import Department
from orgportal.changes.models import Change
from orgportal.changes.records import HISTORY_MODELS, record_bulk
from orgportal.orgfiles.orgfile import parse_org_file
from orgportal.orgfiles.services import organisation_export, organisation_import
from roles.models import Role

HISTORY_CHANGES = 5_000
MOVES = 200


def history_lines(bench):
    """Add the history's lines to ``bench`` (a bench.lines.Bench)."""
    from bench.lines import Line

    write_cost(bench, Line)
    import_cost(bench, Line)
    before = database_bytes()
    changes = make_changes()
    bench.progress(f"{changes:,} changes recorded for the as-of lines")
    # A moment after every recorded change: the replay reads all of them.
    past = urllib.parse.quote(timezone.now().isoformat())
    total = Change.objects.count()
    bench.measure(
        f"page: chart `?as_of=` ({total:,} recorded changes)",
        bench.get(bench.client, f"/?as_of={past}"),
        floor=bench.get(bench.client, "/"),
        floor_label="today's chart, uncached",
    )
    bench.measure(
        f"api: `departments/tree/?as_of=` ({total:,} recorded changes)",
        bench.get(bench.api, f"/api/v1/departments/tree/?as_of={past}"),
        floor=bench.get(bench.api, "/api/v1/departments/tree/"),
        floor_label="today's tree, uncached",
    )
    storage_line(bench, Line, before, changes)


def _patch(bench, department, value):
    response = bench.api.patch(
        f"/api/v1/departments/{department.code}/",
        {"tagline": value},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def write_cost(bench, Line):
    """A department PATCH through the API, with its history record and without."""
    department = bench.leaf
    counter = iter(range(1_000_000))

    def with_history():
        _patch(bench, department, f"有记录{next(counter)}")

    def without_history():
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            _patch(bench, department, f"无记录{next(counter)}")

    bench.measure(
        "history: a department `PATCH` with its record",
        with_history,
        floor=without_history,
        floor_label="the same `PATCH` with history off",
        cold=False,
    )


def import_cost(bench, Line):
    """An import that changes every department's tagline, with history and without."""
    text = organisation_export()
    departments = Department.objects.count()
    files = [
        parse_org_file(text.replace("tagline: 生成", f"tagline: 生成{turn}")) for turn in range(2)
    ]
    turn = iter(range(1_000_000))

    def run_import():
        organisation_import(spec=files[next(turn) % 2])

    def without_history():
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            run_import()

    run_import()
    times, floor_times = [], []
    started = time.perf_counter()
    while len(times) < 3:
        times.append(bench.timed(run_import, cold=False)[0])
        floor_times.append(bench.timed(without_history, cold=False)[0])
        if time.perf_counter() - started > bench.plan.budget * 3:
            break
    bench.add(
        Line(
            f"history: `import_org` changing {departments:,} departments, with their records",
            statistics.median(times),
            max(times),
            len(times),
            floor=statistics.median(floor_times),
            floor_label="the same import with history off",
        )
    )


def make_changes() -> int:
    """Record HISTORY_CHANGES changes over the next minutes: moves and role edits."""
    start = timezone.now()
    step = datetime.timedelta(seconds=60) / HISTORY_CHANGES
    made = 0
    levels = list(Department.objects.filter(level=2).order_by("lft"))
    tops = list(Department.objects.filter(level=1).order_by("lft"))
    for index in range(MOVES):
        with mock.patch("django.utils.timezone.now", return_value=start + step * made):
            node = Department.objects.get(pk=levels[index % len(levels)].pk)
            target = Department.objects.get(pk=tops[index % len(tops)].pk)
            node.move_to(target, "first-child")
        made += 1
    roles = list(Role.objects.order_by("pk"))
    batch = 500
    while made < HISTORY_CHANGES:
        offset = (made - MOVES) % len(roles)
        chunk = roles[offset : offset + min(batch, HISTORY_CHANGES - made)]
        for role in chunk:
            role.headcount = (role.headcount or 0) + 1
        with mock.patch("django.utils.timezone.now", return_value=start + step * made):
            Role.objects.bulk_update(chunk, ["headcount"])
            record_bulk(Role, chunk)
        made += len(chunk)
    return made


def database_bytes() -> int | None:
    """Return the size the database takes: its tables' pages (SQLite) or relations (PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA freelist_count")
        free = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return (pages - free) * cursor.fetchone()[0]


def storage_line(bench, Line, before, changes):
    """Bytes per recorded change: what the database grew by while ``changes`` were recorded
    (the writes themselves update rows in place), and the history tables' share on PostgreSQL."""
    after = database_bytes()
    note = f"{(after - before) / changes:,.0f} bytes per change ({changes:,} changes)"
    if connection.vendor == "postgresql":
        tables = [model._meta.db_table for model in HISTORY_MODELS.values()]
        tables.append(Change._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT SUM(pg_total_relation_size(c)) FROM unnest(%s::regclass[]) c", [tables]
            )
            size = cursor.fetchone()[0]
        note += f"; history tables {size / Change.objects.count():,.0f} bytes per record"
    bench.add(Line("history: storage per recorded change", None, None, 1, note=note))
