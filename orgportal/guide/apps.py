from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuideConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orgportal.guide"
    # Its own label, so its migrations never collide with another capability's in orgportal/.
    label = "guide"
    verbose_name = _("Structure guide")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from orgportal.guide.models import OrganisationProfile
        from orgportal.signals import invalidate_org_cache

        # The guide and the API read the profile with the organisation's other data.
        for signal in (post_save, post_delete):
            signal.connect(
                invalidate_org_cache,
                sender=OrganisationProfile,
                dispatch_uid=f"org-{signal is post_save}-profile",
            )
