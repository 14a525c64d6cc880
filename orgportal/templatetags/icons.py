"""The URL of the icon sprite, worked out once per process instead of once per icon.

A page draws dozens of icons (a search page a hundred and more), each through
templates/includes/icon.html; Django's ``{% static %}`` asks the storage for the same URL every
time, which cost a fifth of a broad search page.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library
from django.templatetags.static import static

register = Library()
SPRITE = "img/icons.svg"
_urls = {}


@register.simple_tag
def icon_sprite():
    url = _urls.get(SPRITE)
    if url is None:
        url = _urls[SPRITE] = static(SPRITE)
    return url


@receiver(setting_changed)
def _forget(**kwargs):
    # Tests that change the storages or STATIC_URL get the URL those give.
    _urls.clear()
