"""Make sure somebody can log in: create the superuser ``admin`` when no user exists."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create the superuser 'admin' with a generated password, printed once, when the "
        "database has no user. Development only (DEBUG=1)."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.exists():
            self.stdout.write("A login exists already; no user created.")
            return
        if not settings.DEBUG:
            raise CommandError(
                "No user exists. This command only creates one with DEBUG=1; in production run "
                "'manage.py createsuperuser'."
            )
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "Created the superuser for development. It is shown only this once:\n"
                f"    username: admin\n    password: {password}"
            )
        )
