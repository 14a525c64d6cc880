"""Benchmarks: time the pages, the API and the tree writes on a generated organisation.

Run with `make bench` (SQLite) or `DATABASE_URL=postgres://... make bench`. It uses its own
database (a temporary SQLite file, or the test database of the configured server) and prints a
Markdown table; docs/benchmarks.md records a run. Speed is measured here, never in the tests.
"""

import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ORGPORTAL_HASHED_STATIC", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from departments.models import Department  # noqa: E402
from departments.services import department_move, tree_problems  # noqa: E402
from orgportal.generated_org import build_large_org  # noqa: E402
from orgportal.orgfiles.orgfile import parse_org_file  # noqa: E402
from orgportal.orgfiles.services import organisation_export, organisation_import  # noqa: E402
from roles.models import Role  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))


def measure(name, action, rows, repeat=REPEAT, cold=True):
    """Run ``action`` ``repeat`` times; record the median and worst time and the query count.

    ``cold`` empties the cache before each run, so cached pages are measured as built.
    """
    times = []
    for _ in range(repeat):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            action()
            times.append((time.perf_counter() - started) * 1000)
    rows.append((name, statistics.median(times), max(times), len(queries.captured_queries)))


def get(client, path):
    def action():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    return action


def main():
    setup_test_environment()
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        run_benchmarks()
    finally:
        runner.teardown_databases(old_config)


def run_benchmarks():
    rows = []
    seed_text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
    spec = parse_org_file(seed_text)
    measure(
        "import_org of the seed (dry run)",
        lambda: organisation_import(spec=spec, dry_run=True),
        rows,
        repeat=5,
    )
    organisation_import(spec=spec)
    # The seed is replaced by the generated organisation below.
    Role.objects.all().delete()
    for department in Department.objects.order_by("-level"):
        department.delete()

    root = build_large_org().root
    departments = Department.objects.count()
    roles = Role.objects.count()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("bench", password="bench-only")
    client = Client()
    client.force_login(user)
    leaf = Department.objects.filter(children__isnull=True).order_by("-lft").first()
    middle = Department.objects.filter(level=1).first()
    role = Role.objects.filter(department=leaf).first()
    pages = [
        ("page: org chart /", "/"),
        ("page: department (level 1)", f"/departments/{middle.code}/"),
        ("page: role", f"/roles/{role.code}/"),
        ("page: search", "/search/?q=%E7%94%9F%E6%88%90%E8%81%8C%E8%B4%A3"),
        ("api: departments/tree/", "/api/v1/departments/tree/"),
        ("api: departments/ (page 1)", "/api/v1/departments/"),
        ("api: roles/?under=<level 1>", f"/api/v1/roles/?under={middle.code}"),
        ("api: roles/<code>/", f"/api/v1/roles/{role.code}/"),
        ("api: duties/?search=", "/api/v1/duties/?search=%E8%81%8C%E8%B4%A3"),
    ]
    for name, path in pages:
        measure(name, get(client, path), rows)
    measure("page: org chart / (cached)", get(client, "/"), rows, cold=False)
    measure("export_org (whole organisation)", organisation_export, rows, repeat=5)

    nodes = list(Department.objects.filter(level=2)[:20])
    targets = list(Department.objects.filter(level=1))

    def moves():
        for index, node in enumerate(nodes):
            department_move(
                department=node, target=targets[index % len(targets)], position="last-child"
            )

    measure("20 department moves (locked write path)", moves, rows, repeat=3)
    measure(
        "check_tree (SQL invariants)", lambda: call_command("check_tree", stdout=StringIO()), rows
    )
    assert tree_problems() == []
    assert root.pk

    vendor = connection.vendor
    print(f"\norgportal benchmarks on {vendor}: {departments} departments, {roles} roles\n")
    print("| what | median ms | worst ms | SQL queries |")
    print("| --- | ---: | ---: | ---: |")
    for name, median, worst, queries in rows:
        print(f"| {name} | {median:.1f} | {worst:.1f} | {queries} |")


if __name__ == "__main__":
    main()
