"""Export the organisation as an organisation file, written as it is read."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orgportal.orgfiles.export import organisation_yaml


class Command(BaseCommand):
    help = "Write the whole organisation, archived parts included, as an organisation file."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Where to write it. Default: standard output.")

    def handle(self, *args, file=None, **options):
        if file is None:
            for chunk in organisation_yaml():
                self.stdout.write(chunk, ending="")
            return
        path = Path(file)
        # A file is written beside the target and renamed over it once complete, so that a
        # failed export never leaves half a file where a whole one was (a pipe or a device is
        # written directly).
        special = path.exists() and not path.is_file()
        target = path if special else path.with_name(f".{path.name}.partial")
        try:
            with target.open("w", encoding="utf-8") as output:
                for chunk in organisation_yaml():
                    output.write(chunk)
            if not special:
                target.replace(path)
        except OSError as error:
            self._discard(target, special)
            raise CommandError(f"{file}: cannot write the file: {error.strerror}") from error
        except BaseException:
            self._discard(target, special)
            raise
        self.stdout.write(f"Wrote {file}.")

    @staticmethod
    def _discard(target, special):
        if not special:
            target.unlink(missing_ok=True)
