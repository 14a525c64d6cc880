"""Write the handbook of job descriptions (岗位说明书) as a PDF file, whatever its size.

The web page makes handbooks up to ORGPORTAL_HANDBOOK_MAX_ROLES roles; this command makes any,
for the whole organisation or one department's branch, in the language asked for.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from departments.models import Department
from orgportal.orgfiles.handbook import handbook_pdf, handbook_role_count


class Command(BaseCommand):
    help = "Write the handbook of job descriptions as a PDF (the organisation or one branch)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the PDF.")
        parser.add_argument(
            "--department", metavar="CODE", help="Only this department and what lies below it."
        )
        parser.add_argument(
            "--archived", action="store_true", help="Include archived departments and roles."
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="The handbook's language (default: %(default)s).",
        )

    def handle(self, *args, file, department=None, archived=False, language, **options):
        top = None
        if department is not None:
            top = Department.objects.filter(code=department).first()
            if top is None:
                raise CommandError(f'--department: unknown department "{department}".')
            if not archived and not Department.objects.visible().filter(pk=top.pk).exists():
                raise CommandError(
                    f'--department: "{department}" is archived or lies below an archived '
                    "department; add --archived to include it."
                )
        path = Path(file)
        if not path.parent.is_dir():
            raise CommandError(f"{file}: the folder {path.parent} does not exist.")
        with translation.override(language):
            roles = handbook_role_count(top=top, include_archived=archived)
            self.stderr.write(f"Making the handbook of {roles} roles…")
            content = handbook_pdf(top=top, include_archived=archived)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"{file}: cannot write the file: {error.strerror}") from error
        self.stdout.write(f"Wrote {file} ({len(content) // 1024:,} KiB, {roles} roles).")
