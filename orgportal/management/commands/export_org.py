"""Export the organisation as an organisation file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orgportal.orgfiles.services import organisation_export


class Command(BaseCommand):
    help = "Write the whole organisation, archived parts included, as an organisation file."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Where to write it. Default: standard output.")

    def handle(self, *args, file=None, **options):
        text = organisation_export()
        if file is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(file).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{file}: cannot write the file: {error.strerror}") from error
        self.stdout.write(f"Wrote {file}.")
