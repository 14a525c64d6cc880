"""Number a transaction's change log rows at COMMIT in one statement, not one per row.

Migration 0004's trigger numbered each Change row with its own ``UPDATE … WHERE id = NEW.id AND
seq IS NULL``. Once the table's statistics say that few rows lack a number, PostgreSQL reads
that through the index on ``seq`` among every row still unnumbered, so a commit of n rows did
n² work: an import of 15,000 rows spent minutes in COMMIT.

Now the first of a transaction's rows to reach the commit takes the advisory lock and numbers
all its rows in insertion (id) order at once; the others find themselves numbered by their
primary key and return. Once the lock is held, the only unnumbered rows it can see are its own:
every other transaction numbers its rows under the same lock before it commits, and rows of
transactions still in flight are invisible. The order of numbers and of commits is as before
(orgportal/changes/models.py).

A row inserted with its number already (an import numbers its change log as it writes it,
holding the lock until its commit: orgportal.changes.records.log_held_back) queues no trigger.
"""

from django.db import migrations

FEED_LOCK_KEY = 0x6F72_6766

NUMBER_ALL = f"""
CREATE OR REPLACE FUNCTION orgportal_change_number() RETURNS trigger AS $$
BEGIN
    IF (SELECT seq FROM orgportal_change WHERE id = NEW.id) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({FEED_LOCK_KEY});
    UPDATE orgportal_change AS change SET seq = numbered.seq
    FROM (
        SELECT id, nextval('orgportal_change_commit_seq') AS seq
        FROM (SELECT id FROM orgportal_change WHERE seq IS NULL ORDER BY id) AS unnumbered
    ) AS numbered
    WHERE change.id = numbered.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
DROP TRIGGER orgportal_change_number_at_commit ON orgportal_change;
CREATE CONSTRAINT TRIGGER orgportal_change_number_at_commit
    AFTER INSERT ON orgportal_change
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW {when}EXECUTE FUNCTION orgportal_change_number();
"""

NUMBER_ONE = f"""
CREATE OR REPLACE FUNCTION orgportal_change_number() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({FEED_LOCK_KEY});
    UPDATE orgportal_change SET seq = nextval('orgportal_change_commit_seq')
    WHERE id = NEW.id AND seq IS NULL;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""


def number_all(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NUMBER_ALL)
        schema_editor.execute(TRIGGER.format(when="WHEN (NEW.seq IS NULL) "))


def number_one(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NUMBER_ONE)
        schema_editor.execute(TRIGGER.format(when=""))


class Migration(migrations.Migration):
    dependencies = [("orgportal", "0006_team_history")]

    operations = [migrations.RunPython(number_all, number_one)]
