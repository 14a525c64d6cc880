"""The guide page: the seed's structure modes and advice, beside the company's own profile."""

from django.views.generic import TemplateView

from departments.access import PortalReadMixin, can_change
from orgportal.guide.admin import profile_admin_url
from orgportal.guide.content import guide_in
from orgportal.guide.models import OrganisationProfile


class GuideView(PortalReadMixin, TemplateView):
    """Show the guide, highlighting the company's mode and stage."""

    template_name = "orgportal/guide/guide.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = OrganisationProfile.load()
        modes, advice = guide_in()
        context.update(
            profile=profile,
            modes=modes,
            advice=advice,
            sections=[modes, advice],
            findings=None,
            can_edit_profile=can_change(self.request.user, OrganisationProfile),
            profile_admin_url=profile_admin_url(),
        )
        return context
