from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "departments"
    # Not "Departments": the admin's breadcrumbs would read "Departments › Departments".
    verbose_name = _("Organisation structure")
