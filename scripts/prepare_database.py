"""Apply the migrations and load the seed organisation into an empty database.

Several web containers may start at once: on PostgreSQL they take turns under a session
advisory lock, so one migrates and seeds and the others find nothing left to do.
"""

import os
import sys
import zlib
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgportal.settings")

START_LOCK_KEY = zlib.crc32(b"orgportal.start.prepare_database")


@contextmanager
def start_lock(connection):
    """Hold a PostgreSQL session lock while the block runs (SQLite has one writer anyway)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [START_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [START_LOCK_KEY])


def main():
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        sys.exit(f"orgportal cannot start: {error}")

    from django.core.management import call_command
    from django.db import connection

    with start_lock(connection):
        call_command("migrate", interactive=False)
        call_command("import_org", if_empty=True)


if __name__ == "__main__":
    main()
