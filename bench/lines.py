"""The benchmark's lines: each timed beside its floor, with its goal from issue 11."""

import datetime
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from bench import floors, server
from bench.history import history_lines
from departments.models import Department
from departments.services import tree_problems
from orgportal.generated_org import BROAD_TERM, MISSING_TERM, RARE_TERM, build_large_org
from orgportal.orgfiles.handbook import handbook_html
from roles.models import Duty, Role

# The rows of one worksheet in the xlsx format (the duties' sheet has one per duty and a header).
WORKSHEET_ROWS = 1_048_576
# The rows a floor shift moves out of the way and back (far beyond any real edge).
SHIFT = 10_000_000
# An import this many times slower than its floor has missed its goal (2 ×) by far: stop it.
IMPORT_FLOOR_FACTOR = 5
ROUND_TRIP = {
    True: "Export, import into the empty database, export again: identical bytes.",
    False: "Export, import, export again: the files DIFFER.",
    None: "The import was stopped, so its result was not compared.",
    "skipped": "The files lines were not run (BENCH_ONLY).",
}


@dataclass(frozen=True)
class Goal:
    text: str
    met: Callable[["Line"], bool]


def at_most_times_floor(factor):
    return Goal(f"≤ {factor:g} × floor", lambda line: line.ratio <= factor)


def at_most_ms(limit):
    return Goal(f"≤ {limit:g} ms", lambda line: line.median <= limit)


@dataclass
class Line:
    what: str
    median: float | None
    worst: float | None
    runs: int
    unit: str = "ms"
    floor: float | None = None
    floor_label: str = ""
    goal: Goal | None = None
    queries: int | None = None
    note: str = ""
    # The median is only a lower bound: the run was stopped.
    stopped: bool = False

    @property
    def ratio(self):
        if self.median is None or not self.floor:
            return None
        return self.median / self.floor

    def cells(self):
        ratio = self.ratio
        if ratio is None:
            ratio_text = "—"
        elif self.unit == "req/s":
            ratio_text = f"{ratio:.1%} of floor"
        else:
            ratio_text = f"{'> ' if self.stopped else ''}{ratio:,.1f} ×"
        floor_text = "—"
        if self.floor is not None:
            floor_text = f"{_number(self.floor, self.unit)} ({self.floor_label})"
        goal_text = "—"
        if self.goal is not None:
            met = self.median is not None and self.goal.met(self)
            # A stopped run that has not yet missed its goal might still have met it.
            mark = "?" if met and self.stopped else "✓" if met else "✗"
            goal_text = f"{self.goal.text} {mark}"
        median = self.note or _number(self.median, self.unit)
        return [
            self.what,
            median,
            _number(self.worst, self.unit),
            floor_text,
            ratio_text,
            goal_text,
            "—" if self.queries is None else str(self.queries),
            str(self.runs),
        ]


def _number(value, unit):
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,.0f} {unit}"


class Bench:
    def __init__(self, *, size, label, plan, server_env):
        self.size = size
        self.label = label
        self.plan = plan
        self.server_env = server_env
        self.lines: list[Line] = []
        # Set by the files lines; stays "skipped" when BENCH_ONLY leaves them out.
        self.round_trip: bool | None | str = "skipped"
        self.workdir = Path(tempfile.mkdtemp(prefix="orgportal-bench-files-"))
        self.started = time.perf_counter()

    # -- running ---------------------------------------------------------------------------

    def run(self):
        load_before = os.getloadavg()
        when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        org = build_large_org(departments=self.size, roles_per_department=5, duties_per_role=5)
        generated = time.perf_counter() - started
        with connection.cursor() as cursor:
            # What autovacuum would have done by now on a real server: since PostgreSQL 13 it
            # vacuums a table after many inserts too, which moves the trigram GIN indexes'
            # pending lists into the indexes. Without that, every search right after the
            # bulk generation reads ~100,000 pending entries per index.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        self.progress(f"generated {org.departments:,} departments in {generated:.1f} s")
        self.set_up_clients()
        # BENCH_ONLY=server,move,files runs only those groups of lines (all by default).
        only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
        groups = [
            ("read", self.read_lines),
            ("server", self.server_lines),
            ("move", self.move_line),
            ("check_tree", self.check_tree_line),
            ("documents", lambda: self.document_lines(org)),
            ("health", self.health_lines),
            ("other", self.other_lines),
            ("history", lambda: history_lines(self)),
            # Last: a stopped import leaves the tables empty.
            ("files", lambda: self.file_lines(org)),
        ]
        unknown = only - {name for name, _ in groups}
        if unknown:
            raise SystemExit(f"BENCH_ONLY names no group {sorted(unknown)}")
        for name, lines in groups:
            if not only or name in only:
                lines()
        self.print_table(org, generated, when, load_before)
        # Kept when a line failed: the gunicorn log is there.
        shutil.rmtree(self.workdir)

    def progress(self, message):
        elapsed = time.perf_counter() - self.started
        print(f"[{elapsed:7.1f} s] {message}", file=sys.stderr, flush=True)

    def add(self, line):
        self.lines.append(line)
        cells = line.cells()
        unit = " ms" if line.unit == "ms" and not line.note else ""
        self.progress(f"{cells[0]}: {cells[1]}{unit}, floor {cells[3]}, {cells[4]}")

    def timed(self, action, *, cold):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            action()
            elapsed = (time.perf_counter() - started) * 1000
        return elapsed, len(queries.captured_queries)

    def measure(
        self,
        what,
        action,
        *,
        floor=None,
        floor_label="",
        goal=None,
        cold=True,
        warmup=True,
        runs=None,
    ):
        """Time ``action`` and its ``floor`` in turns, up to the plan's runs and budget."""
        runs = runs or self.plan.runs
        started = time.perf_counter()
        if warmup:
            self.timed(action, cold=cold)
            if floor is not None:
                self.timed(floor, cold=cold)
        times, floor_times, queries = [], [], None
        while len(times) < runs:
            elapsed, queries = self.timed(action, cold=cold)
            times.append(elapsed)
            if floor is not None:
                floor_times.append(self.timed(floor, cold=cold)[0])
            if time.perf_counter() - started > self.plan.budget:
                break
        self.add(
            Line(
                what,
                statistics.median(times),
                max(times),
                len(times),
                floor=statistics.median(floor_times) if floor_times else None,
                floor_label=floor_label,
                goal=goal,
                queries=queries,
            )
        )
        return statistics.median(times)

    # -- set-up ----------------------------------------------------------------------------

    def set_up_clients(self):
        user = get_user_model().objects.create_superuser("bench", password="bench-only-password")
        self.token = Token.objects.create(user=user).key
        self.client = Client()
        self.client.force_login(user)
        self.api = Client(headers={"Authorization": f"Token {self.token}"})
        by_size = Department.objects.filter(level=1).order_by("lft")
        self.big = max(by_size, key=lambda department: department.rght - department.lft)
        self.leaf = Department.objects.filter(children__isnull=True).order_by("-lft").first()
        self.middle = Department.objects.filter(level=2, lft__gt=self.big.lft).first()

    def get(self, client, path, status=200, **headers):
        def action():
            response = client.get(path, headers=headers)
            assert response.status_code == status, (path, response.status_code)
            return response

        return action

    # -- the lines -------------------------------------------------------------------------

    def read_lines(self):
        tree = "/api/v1/departments/tree/"
        self.measure(
            "api: `departments/tree/`, uncached",
            self.get(self.api, tree),
            floor=floors.tree_json,
            floor_label="`values()` + parent map + `json.dumps`",
            goal=at_most_times_floor(1.5),
        )
        etag = self.get(self.api, tree)().headers.get("ETag")
        if etag:
            self.measure(
                "api: `departments/tree/`, 304 to `If-None-Match`",
                self.get(self.api, tree, 304, **{"If-None-Match": etag}),
                floor=self.get(self.api, "/healthz"),
                floor_label="`/healthz`",
                goal=at_most_ms(3),
                cold=False,
            )
        else:
            self.add(Line("api: `departments/tree/`, 304", None, None, 0, note="no ETag"))
        self.measure(
            "page: chart `/`, uncached",
            self.get(self.client, "/"),
            floor=floors.chart_html,
            floor_label="`values()` + HTML join",
            goal=at_most_ms(100),
        )
        self.measure(
            "page: chart `/`, cached",
            self.get(self.client, "/"),
            floor=floors.chart_html,
            floor_label="`values()` + HTML join",
            goal=at_most_ms(10),
            cold=False,
        )
        # A closed card of the chart opens as a fragment: a level-1 department's branch.
        branch = f"/chart/branch/{self.big.code}/"
        page_size = settings.ORGPORTAL_CHART_PAGE_SIZE
        self.measure(
            "page: chart branch fragment of a level-1 department, uncached",
            self.get(self.client, branch),
            floor=lambda: floors.branch_html(self.big.code, page_size),
            floor_label="`values()` of its children, their branches' role totals, HTML join",
            goal=at_most_ms(25),
        )
        self.measure(
            "page: chart branch fragment, cached",
            self.get(self.client, branch),
            floor=lambda: floors.branch_html(self.big.code, page_size),
            floor_label="`values()` of its children, their branches' role totals, HTML join",
            goal=at_most_ms(10),
            cold=False,
        )
        leaf_page = f"/departments/{self.leaf.code}/"
        self.measure("page: department, a leaf", self.get(self.client, leaf_page))
        below = (self.big.rght - self.big.lft - 1) // 2
        self.measure(
            f"page: department, level 1 ({below:,} below)",
            self.get(self.client, f"/departments/{self.big.code}/"),
            floor=self.get(self.client, leaf_page),
            floor_label="the leaf's page",
            goal=at_most_ms(25),
        )
        for kind, term in (
            ("broad", BROAD_TERM),
            ("selective", RARE_TERM),
            ("no match", MISSING_TERM),
        ):
            self.measure(
                f"page: search, {kind} (“{term}”)",
                self.get(self.client, "/search/?" + urllib.parse.urlencode({"q": term})),
                floor=lambda term=term: floors.duty_search(term),
                floor_label="`icontains` … `LIMIT 101`",
                goal=at_most_ms(100),
            )

    def server_lines(self):
        if server.WRK is None:
            self.add(Line("api: department detail under gunicorn", None, None, 0, note="no wrk"))
            return
        log = self.workdir / "gunicorn.log"
        headers = {"Authorization": f"Token {self.token}"}
        with server.gunicorn("bench.constant_app:application", self.server_env, log, "/") as (
            base,
            pid,
        ):
            floor = server.throughput(
                base + "/", runs=self.plan.wrk_runs, seconds=self.plan.wrk_seconds
            )
            floor_rss, floor_peak = server.worker_memory(pid)
        with server.gunicorn("orgportal.wsgi:application", self.server_env, log) as (base, pid):
            detail = f"{base}/api/v1/departments/{self.middle.code}/"
            result = server.throughput(
                detail, runs=self.plan.wrk_runs, seconds=self.plan.wrk_seconds, headers=headers
            )
            # Memory once the worker has also built the largest answer, the whole tree.
            server.fetch(base + "/api/v1/departments/tree/", headers, timeout=600)
            rss, peak = server.worker_memory(pid)
        threads = server.THREADS
        self.add(
            Line(
                f"api: department detail, gunicorn {server.WORKERS} worker"
                f"{'s' if server.WORKERS > 1 else ''} × {threads} threads, wrk",
                result["rps"],
                result["worst_rps"],
                result["runs"],
                unit="req/s",
                floor=floor["rps"],
                floor_label="constant JSON, same gunicorn",
                goal=Goal("≥ 25 % of floor", lambda line: line.ratio >= 0.25),
            )
        )
        self.add(
            Line(
                "… its latency (median, worst p99)",
                result["p50_ms"],
                result["p99_ms"],
                result["runs"],
                floor=floor["p50_ms"],
                floor_label="constant JSON",
            )
        )
        self.add(
            Line(
                "worker memory after that and one tree (RSS, peak)",
                rss,
                peak,
                1,
                unit="MiB",
                floor=floor_rss,
                floor_label="constant JSON worker",
            )
        )

    def move_line(self):
        """Move a level-2 department to another branch and back through the API."""
        node = self.middle
        home = node.parent
        away = Department.objects.filter(level=1).exclude(pk=home.pk).order_by("-lft").first()
        times, floor_times, queries = [], [], None
        started = time.perf_counter()
        runs = self.plan.runs
        while len(times) < 2 * runs:
            for target in (away, home):
                node.refresh_from_db()
                target.refresh_from_db()
                edge = target.rght
                if edge > node.rght:
                    low, high = node.lft, edge - 1
                else:
                    low, high = edge, node.rght
                elapsed, queries = self.timed(
                    lambda target=target: self._move(node, target), cold=False
                )
                times.append(elapsed)
                shift = {"tree_id": node.tree_id, "low": low, "high": high}
                floor_times.append(
                    self.timed(lambda s=shift: floors.subtree_shift(**s, offset=SHIFT), cold=False)[
                        0
                    ]
                )
                floors.subtree_shift(
                    tree_id=node.tree_id, low=low + SHIFT, high=high + SHIFT, offset=-SHIFT
                )
            if time.perf_counter() - started > self.plan.budget:
                break
        assert tree_problems() == []
        below = node.get_descendant_count()
        self.add(
            Line(
                f"api: move a department ({below:,} below) to another branch",
                statistics.median(times),
                max(times),
                len(times),
                floor=statistics.median(floor_times),
                floor_label="one UPDATE over the same rows",
                goal=at_most_times_floor(1.3),
                queries=queries,
            )
        )

    def _move(self, node, target):
        response = self.api.post(
            f"/api/v1/departments/{node.code}/move/",
            {"target": target.code, "position": "last-child"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content

    def check_tree_line(self):
        self.measure(
            "`check_tree`",
            lambda: call_command("check_tree", stdout=StringIO()),
            goal=at_most_ms(2000),
        )

    def file_lines(self, org):
        exported = self.workdir / "export.yaml"
        floor_file = self.workdir / "floor.yaml"
        manage = [sys.executable, "manage.py"]
        started = server.peak_memory_of([*manage, "shell", "-c", "pass"], self.server_env)
        export = server.peak_memory_of([*manage, "export_org", str(exported)], self.server_env)
        export_floor = {
            "floor_label": "`values()` + PyYAML's C dumper",
            "goal": at_most_times_floor(1.3),
        }
        if self.plan.export_in_process:
            self.measure(
                "`export_org`",
                lambda: call_command("export_org", str(exported), stdout=StringIO()),
                floor=lambda: floors.export_yaml(floor_file),
                warmup=self.size <= 500,
                **export_floor,
            )
        else:
            # Too slow to run twice: the time of the process that measured the memory.
            self.add(
                Line(
                    "`export_org` (a process of its own, start-up included)",
                    export["seconds"] * 1000,
                    None,
                    1,
                    floor=self.timed(lambda: floors.export_yaml(floor_file), cold=False)[0],
                    **export_floor,
                )
            )
        self.add(
            Line(
                "`export_org`, peak memory (a process of its own)",
                export["peak_mib"],
                None,
                1,
                unit="MiB",
                floor=started["peak_mib"],
                floor_label="`manage.py shell -c pass`",
                goal=Goal("≤ 150 MiB", lambda line: line.median <= 150),
            )
        )
        # The import floor first: bulk inserts into the emptied tables, in turns.
        floor_times = []
        floor_started = time.perf_counter()
        while len(floor_times) < self.plan.runs:
            floors.empty_organisation()
            floor_times.append(self.timed(lambda: floors.import_bulk(exported), cold=False)[0])
            if time.perf_counter() - floor_started > self.plan.budget:
                break
        floors.empty_organisation()
        timeout = self.plan.import_timeout
        if self.plan.import_relative:
            floor_seconds = statistics.median(floor_times) / 1000
            timeout = min(timeout, max(60, IMPORT_FLOOR_FACTOR * floor_seconds))
        self.progress(f"import_org into the empty database, for {timeout:,.0f} s at most …")
        result = server.peak_memory_of(
            [*manage, "import_org", str(exported)],
            self.server_env,
            timeout=timeout,
        )
        counts = (Department.objects.count(), Role.objects.count(), Duty.objects.count())
        finished = result["finished"]
        if finished:
            assert counts == (org.departments, org.roles, org.duties), counts
            assert tree_problems() == []
        self.add(
            Line(
                "`import_org` of that export into an empty database",
                result["seconds"] * 1000,
                None,
                1,
                floor=statistics.median(floor_times),
                floor_label="bulk inserts",
                goal=at_most_times_floor(2),
                note="" if finished else f"> {timeout:,.0f} s (stopped)",
                stopped=not finished,
            )
        )
        self.add(
            Line(
                "`import_org`, peak memory" + ("" if finished else " until stopped"),
                result["peak_mib"],
                None,
                1,
                unit="MiB",
                floor=started["peak_mib"],
                floor_label="`manage.py shell -c pass`",
            )
        )
        # None: not compared, because the import was stopped.
        self.round_trip = exported.read_bytes() == self._export_again() if finished else None

    def _export_again(self):
        again = self.workdir / "again.yaml"
        call_command("export_org", str(again), stdout=StringIO())
        return again.read_bytes()

    def document_lines(self, org):
        """The download buttons' files: the workbook and the handbook PDF, made afresh."""
        if org.duties + 1 > WORKSHEET_ROWS:
            # openpyxl refuses a row past the sheet's last (the page answers 500): not measured.
            self.add(
                Line(
                    "page: workbook `/organisation.xlsx`, uncached",
                    None,
                    None,
                    0,
                    note=f"not made: {org.duties:,} duties; a sheet holds {WORKSHEET_ROWS:,} rows",
                )
            )
            return
        self.measure(
            "page: workbook `/organisation.xlsx`, uncached",
            self.get(self.client, "/organisation.xlsx"),
            goal=at_most_ms(2000 * max(1, self.size // 500)),
            runs=min(self.plan.runs, 5),
        )
        pages = 2 + org.departments - 1 + org.roles
        if self.size > 500:
            # Tens of thousands of pages: hours and more memory than the machine has.
            self.add(
                Line(
                    f"page: handbook `/handbook.pdf`, whole organisation ({pages:,} pages)",
                    None,
                    None,
                    0,
                    note="not made above 500 departments",
                )
            )
            return
        self.progress(f"the whole organisation's handbook, {pages:,} pages …")
        html = handbook_html()
        # Above ORGPORTAL_HANDBOOK_MAX_ROLES the page refuses (413) and HR run
        # `manage.py handbook_pdf`; the line times the PDF itself, so it lifts the limit.
        with override_settings(ORGPORTAL_HANDBOOK_MAX_ROLES=org.roles):
            self.measure(
                f"page: handbook `/handbook.pdf`, whole organisation ({pages:,} pages)",
                self.get(self.client, "/handbook.pdf"),
                floor=lambda: floors.weasyprint_alone(html),
                floor_label="WeasyPrint alone on the same HTML",
                goal=at_most_times_floor(1.1),
                warmup=False,
                runs=1,
            )

    def health_lines(self):
        """Organisation health: every figure of the organisation in a few queries."""
        self.measure(
            "page: health check `/insights/`, uncached",
            self.get(self.client, "/insights/"),
            floor=floors.health_rows,
            floor_label="the rows it reads, `values_list()`",
            goal=at_most_times_floor(10),
        )
        self.measure(
            "page: health check `/insights/`, cached",
            self.get(self.client, "/insights/"),
            floor=self.get(self.client, "/healthz"),
            floor_label="`/healthz`",
            cold=False,
        )
        self.measure("api: `insights/`, uncached", self.get(self.api, "/api/v1/insights/"))

    def other_lines(self):
        """Lines without a floor, kept from the first benchmark to watch for regressions."""
        role = Role.objects.filter(department__children__isnull=True).order_by("-pk").first()
        under = Department.objects.filter(level=1).order_by("lft").first()
        for what, client, path in (
            ("page: role", self.client, f"/roles/{role.code}/"),
            ("api: `departments/` (first page)", self.api, "/api/v1/departments/"),
            ("api: `roles/?under=<level 1>`", self.api, f"/api/v1/roles/?under={under.code}"),
            ("api: `roles/<code>/`", self.api, f"/api/v1/roles/{role.code}/"),
            (
                "api: `duties/?search=` (rare term)",
                self.api,
                "/api/v1/duties/?" + urllib.parse.urlencode({"search": RARE_TERM}),
            ),
        ):
            self.measure(what, self.get(client, path))

    # -- output ----------------------------------------------------------------------------

    def print_table(self, org, generated, when, load_before):
        vendor = connection.vendor
        if vendor == "postgresql":
            version = connection.pg_version
            database = f"PostgreSQL {version // 10000}.{version % 10000}"
        else:
            import sqlite3

            database = f"SQLite {sqlite3.sqlite_version}"
        total = time.perf_counter() - self.started
        load_after = os.getloadavg()
        print()
        print(
            f"orgportal `make bench SIZE={self.label}` on {database}, {when}: "
            f"{org.departments:,} departments, {org.roles:,} roles, {org.duties:,} duties "
            f"(generated in {generated:.1f} s). Python {platform.python_version()}, "
            f"{os.cpu_count()} cores, load average {load_before[0]:.1f} before and "
            f"{load_after[0]:.1f} after; the run took {total / 60:.1f} min. "
            + ROUND_TRIP[self.round_trip]
        )
        print()
        print("| what | median ms | worst ms | floor | ratio | goal | SQL queries | runs |")
        print("| --- | ---: | ---: | --- | ---: | --- | ---: | ---: |")
        for line in self.lines:
            print("| " + " | ".join(line.cells()) + " |")
