"""The portal's admin site: its name, its pickers, and strings Django leaves untranslated."""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Django 5.2's admin labels its model tables with these, and its Chinese catalog does not
# translate them yet; the portal's catalogs do.
DJANGO_ADMIN_STRINGS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)


class PortalAutocompleteJsonView(AutocompleteJsonView):
    """Answer the admin's search-as-you-type pickers, as each model admin wants them.

    A model admin may narrow the options of one picker with
    ``autocomplete_queryset(request, queryset, source_field)`` (the field the picker fills), and
    label them with ``autocomplete_label(obj)``.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        narrow = getattr(self.model_admin, "autocomplete_queryset", None)
        return narrow(self.request, queryset, self.source_field) if narrow else queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = str(label(obj))
        return result


class PortalAdminSite(admin.AdminSite):
    """The admin for HR, named and styled as part of the portal (see templates/admin/)."""

    site_header = _("Organisation portal · Admin")
    site_title = _("Organisation portal admin")
    index_title = _("Edit the organisation")

    def autocomplete_view(self, request):
        return PortalAutocompleteJsonView.as_view(admin_site=self)(request)
