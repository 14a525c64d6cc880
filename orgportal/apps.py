from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgportalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orgportal"
    verbose_name = _("Organisation portal")

    def ready(self):
        from orgportal import signals
        from orgportal.changes.records import register_history
        from orgportal.translated import speed_up_descriptors

        signals.connect()
        # After django-modeltranslation (listed first) added the language columns.
        register_history()
        # modeltranslation, listed before this app, has registered every translation.py.
        speed_up_descriptors()
