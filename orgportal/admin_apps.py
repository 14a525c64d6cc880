"""django.contrib.admin with the portal's admin site (listed in INSTALLED_APPS in its place)."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "orgportal.admin_site.PortalAdminSite"
