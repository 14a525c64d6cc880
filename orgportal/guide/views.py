"""The guide page (the seed's modes and advice beside the company's profile) and organisation
health (/insights/, also as CSV)."""

import csv

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.timezone import localdate
from django.views import View
from django.views.generic import TemplateView

from departments.access import PortalReadMixin, ReadOutsideTransactionMixin, can_change
from departments.models import Department
from orgportal.cache import org_cached
from orgportal.guide.admin import profile_admin_url
from orgportal.guide.content import guide_in
from orgportal.guide.findings import guide_findings, teams_url
from orgportal.guide.health import band_label, organisation_health, span_targets
from orgportal.guide.models import OrganisationProfile
from orgportal.guide.report import health_csv_rows
from roles.models import Role


def cached_health():
    """Return the organisation's health, cached until the organisation next changes."""
    targets = "-".join(band_label(band).replace("–", "_") for band in span_targets())
    return org_cached(f"insights:{targets}", organisation_health, per_language=False)


class GuideView(ReadOutsideTransactionMixin, PortalReadMixin, TemplateView):
    """Show the guide, highlighting the company's mode and stage."""

    template_name = "orgportal/guide/guide.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = OrganisationProfile.load()
        modes, advice = guide_in()
        can_edit_profile = can_change(self.request.user, OrganisationProfile)
        context.update(
            profile=profile,
            modes=modes,
            advice=advice,
            sections=[modes, advice],
            findings=guide_findings(profile, cached_health(), can_edit=can_edit_profile),
            can_edit_profile=can_edit_profile,
            teams_url=teams_url(),
            profile_admin_url=profile_admin_url(),
        )
        return context


class InsightsView(ReadOutsideTransactionMixin, PortalReadMixin, TemplateView):
    """Show the organisation's health: spans, depth, headcount, gaps and similar duties."""

    template_name = "orgportal/guide/insights.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            health=cached_health(),
            can_edit_departments=can_change(user, Department),
            can_edit_roles=can_change(user, Role),
        )
        return context


class InsightsCsvView(PortalReadMixin, View):
    """Every figure of the health check as one CSV table, one figure a row."""

    def get(self, request):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            True, f"insights-{localdate():%Y-%m-%d}.csv"
        )
        # A byte order mark, so that Excel opens the Chinese texts as UTF-8.
        response.write("\ufeff")
        csv.writer(response).writerows(health_csv_rows(cached_health()))
        return response
