"""Icons from the sprite: ``{% icon "name" "extra-class" %}``, the sprite's URL worked out once
per process.

A page draws dozens of icons (a search page a hundred and more, a chart one per closed card).
Django's ``{% static %}`` asked the storage for the same URL every time, which cost a fifth of
a broad search page, and an ``{% include %}`` of a template per icon cost more than the rest of
a cached chart page's rendering.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library
from django.templatetags.static import static
from django.utils.html import format_html

register = Library()
SPRITE = "img/icons.svg"
_urls = {}


@register.simple_tag
def icon(name, css_class=""):
    """Return the SVG of the sprite's icon ``name``, with ``css_class`` beside "icon"."""
    # The newline ended the template each icon was once included from: pages keep their bytes.
    return format_html(
        '<svg class="icon{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>\n',
        f" {css_class}" if css_class else "",
        icon_sprite(),
        name,
    )


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
