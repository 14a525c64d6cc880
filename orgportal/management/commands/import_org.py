"""Import an organisation file: validate it whole, then apply it atomically by code."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from departments.models import Department
from orgportal.changes.context import change_context
from orgportal.guide.models import OrganisationProfile
from orgportal.orgfiles.orgfile import OrgFileError, parse_org_file
from orgportal.orgfiles.services import organisation_import
from roles.models import DepartmentRoleTotals, Duty, Role
from teams.models import ProjectTeam, TeamMember

# The tables an import writes (and the history of those that keep one).
WRITTEN = (
    Department,
    Role,
    Duty,
    DepartmentRoleTotals,
    ProjectTeam,
    TeamMember,
    OrganisationProfile,
)


def written_tables():
    tables = []
    for model in WRITTEN:
        tables.append(model._meta.db_table)
        history = getattr(model, "history", None)
        if history is not None:
            tables.append(history.model._meta.db_table)
    return tables


def analyze_written_tables(using=DEFAULT_DB_ALIAS):
    """Give PostgreSQL's planner the statistics of the tables an import wrote, as autovacuum
    would some time later: a big import into an empty database otherwise leaves the planner
    guessing (the branch totals of a level-1 department took 9.4 s at 10,000 departments
    without statistics). SQLite plans without them."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(quote(table) for table in written_tables())}")


class Command(BaseCommand):
    help = "Create, update and move departments, roles and duties to match an organisation file."
    # A data command, like migrate: the system checks (which import every URLconf, the API
    # schema views among them) are for the server and `manage.py check`, and cost a second
    # of every import.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            default=str(settings.ORGPORTAL_SEED_FILE),
            help="The organisation file (YAML). Default: the seed organisation in data/.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the plan and write nothing."
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Archive departments and roles that the file no longer lists.",
        )
        parser.add_argument(
            "--reason",
            default="",
            help="Why the organisation changes (kept with every change in the history).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds departments (used by make run).",
        )

    def handle(self, *args, file, dry_run=False, prune=False, if_empty=False, reason="", **options):
        if if_empty and Department.objects.exists():
            self.stdout.write("The database already holds an organisation; nothing imported.")
            return
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{file}: cannot read the file: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{file}: the file is not UTF-8 text") from error
        try:
            with change_context(reason=reason, source="command:import_org"):
                report = organisation_import(
                    spec=parse_org_file(text), prune=prune, dry_run=dry_run
                )
        except OrgFileError as error:
            for place, message in error.errors:
                self.stderr.write(f"{file}: {place}: {message}")
            raise CommandError(
                f"{file}: {len(error.errors)} errors; nothing was imported."
            ) from error
        if not dry_run:
            # After the commit (at once outside a transaction): statistics of the new rows.
            transaction.on_commit(analyze_written_tables)
        for line in report.lines():
            self.stdout.write(line)
        prefix = "Dry run, nothing written. Would make " if dry_run else "Imported: "
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
