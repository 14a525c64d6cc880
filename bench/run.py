"""Benchmarks: every line of issue 11's table beside a floor computed in the same process.

    make bench [SIZE=500|10k|50k]        (SQLite in a temporary file)
    BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/orgportal_bench make bench SIZE=10k

It generates an organisation of SIZE departments with five roles each and five duties per role
(orgportal/generated_org.py) in a database of its own, times pages and API answers through
Django's test client, the department detail API under gunicorn with wrk, a move, the export,
an import into the emptied database and check_tree, and prints a Markdown table for
docs/benchmarks.md. Speed is measured here, never in the tests.

The database: BENCH_DATABASE_URL when set; else, when DATABASE_URL names a PostgreSQL database,
the same server's database of that name with ``_bench`` appended; else a temporary SQLite file.
A PostgreSQL benchmark database is dropped and created at the start and dropped at the end
(BENCH_KEEP_DATABASE=1 keeps it), so its name must contain "bench".
"""

import argparse
import os
import sys
import tempfile
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"500": 500, "10k": 10_000, "50k": 50_000}


@dataclass(frozen=True)
class Plan:
    """How long to spend per line: at most ``runs`` runs, fewer once ``budget`` s are spent."""

    runs: int
    budget: float
    wrk_seconds: int = 5
    wrk_runs: int = 3
    # import_org stops after this many seconds, or after IMPORT_FLOOR_FACTOR times its floor if
    # that comes first (BENCH_IMPORT_TIMEOUT sets a fixed limit instead).
    import_timeout: float = 600
    import_relative: bool = True
    # Time export_org in this process, beside its peak memory measured in a process of its own.
    export_in_process: bool = True


PLANS = {
    "500": Plan(runs=15, budget=20),
    "10k": Plan(runs=7, budget=30),
    "50k": Plan(runs=5, budget=60, export_in_process=False),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="500")
    args = parser.parse_args()
    url = bench_database_url()
    server_env = configure_environment(url)
    create_database(url)
    try:
        import django

        # Pages are served without collected static files, as in the tests.
        warnings.filterwarnings("ignore", "No directory at", UserWarning)
        django.setup()
        from bench.lines import Bench

        plan = PLANS[args.size]
        timeout = os.environ.get("BENCH_IMPORT_TIMEOUT")
        if timeout:
            plan = Plan(
                **{**plan.__dict__, "import_timeout": float(timeout), "import_relative": False}
            )
        Bench(size=SIZES[args.size], label=args.size, plan=plan, server_env=server_env).run()
    finally:
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP_DATABASE") != "1":
            drop_database(url)


def bench_database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    main_url = os.environ.get("DATABASE_URL", "")
    if main_url.startswith(("postgres://", "postgresql://")):
        parts = urllib.parse.urlsplit(main_url)
        return parts._replace(path=parts.path.rstrip("/") + "_bench").geturl()
    return f"sqlite:///{tempfile.mkdtemp(prefix='orgportal-bench-')}/bench.sqlite3"


def configure_environment(url: str) -> dict:
    """Set production settings for this process; return the environment for gunicorn."""
    production = {
        "ENV_FILE": "",  # a developer's .env (DEBUG=1) must not change what is measured
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "ORGPORTAL_HASHED_STATIC": "0",
        # The throttle still runs on every API request, but never refuses the load generator.
        "API_THROTTLE_RATE": "1000000/minute",
        "DATABASE_URL": url,
    }
    os.environ.update(production)
    server_env = {**os.environ, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO")}
    # This process prints the table; one log line per request would bury it.
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgportal.settings")
    server_env.setdefault("DJANGO_SETTINGS_MODULE", "orgportal.settings")
    return server_env


def _postgres(url: str):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return None, None
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(
            f"The benchmark drops and creates its database; {name!r} does not look like a "
            "benchmark database (its name must contain 'bench')."
        )
    return parts._replace(path="/postgres").geturl(), name


def create_database(url: str) -> None:
    admin_url, name = _postgres(url)
    if admin_url is None:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    admin_url, name = _postgres(url)
    if admin_url is None:
        path = Path(urllib.parse.urlsplit(url).path)
        if path.name == "bench.sqlite3" and path.parent.name.startswith("orgportal-bench-"):
            for file in path.parent.iterdir():
                file.unlink()
            path.parent.rmdir()
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
