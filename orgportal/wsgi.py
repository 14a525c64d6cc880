"""WSGI entry point for gunicorn: Django's handler, answering the API's commonest reads before
its middleware chain (orgportal.api.shortcut.ShortcutWSGIHandler), the commonest of all before
its request object (orgportal.api.express)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgportal.settings")

# As django.core.wsgi.get_wsgi_application() does, with the handler that answers them.
django.setup(set_prefix=False)

from orgportal.api.shortcut import ShortcutWSGIHandler  # noqa: E402 - after setup()

application = ShortcutWSGIHandler()
