"""Admin for HR: the organisation profile, one form without a list."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from orgportal.guide.models import OrganisationProfile


@admin.register(OrganisationProfile)
class OrganisationProfileAdmin(admin.ModelAdmin):
    """Edit the one profile; its list and its add page lead straight to its form."""

    fields = ("mode", "stage")
    singleton_id = OrganisationProfile.SINGLETON_ID

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return HttpResponseRedirect(profile_admin_url())

    def get_object(self, request, object_id, from_field=None):
        # The form exists before HR first save it: an empty profile.
        if str(object_id) == str(OrganisationProfile.SINGLETON_ID):
            return OrganisationProfile.load()
        return None

    def view_on_site(self, obj):
        return reverse("guide:guide")


def profile_admin_url():
    """Return the admin's form of the organisation profile."""
    return reverse(
        "admin:guide_organisationprofile_change", args=[OrganisationProfile.SINGLETON_ID]
    )
