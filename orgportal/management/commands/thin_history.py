"""Thin the history older than N days, keeping the state each day ended with."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orgportal.changes.retention import history_thin


class Command(BaseCommand):
    help = (
        "Delete history records older than --days days that a later record of the same object "
        "on the same day supersedes. As-of views of any date read the same afterwards; "
        "departments keep every record that added, moved or deleted them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, required=True, help="Keep every record of the last N days."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be deleted; delete nothing."
        )

    def handle(self, *args, days, dry_run=False, **options):
        if days < 1:
            raise CommandError("--days: give a whole number of days of 1 or more.")
        try:
            cutoff = timezone.now() - timedelta(days=days)
        except OverflowError as error:
            raise CommandError(
                f"--days: {days} days ago is before the first year a date can hold."
            ) from error
        counts = history_thin(older_than=cutoff, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        total = sum(counts.values())
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(f"{verb} {total} history records older than {cutoff:%Y-%m-%d %H:%M}.")
