"""The REST API: one router for departments, roles, duties and teams, plus the OpenAPI contract."""

from csp.decorators import csp_update
from django.db import transaction
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from departments.api.views import DepartmentViewSet
from orgportal.api.docs import OfflineRedocView, redoc_bundle_view
from orgportal.api.errors import not_found
from orgportal.api.views import OrganisationExportView
from orgportal.changes.api import ChangeFeedView
from orgportal.guide.api.views import InsightsView, OrganisationView
from roles.api.views import DutyViewSet, RoleViewSet
from teams.api.views import ProjectTeamViewSet

app_name = "api"


def _without_transaction(view_class, **initkwargs):
    return transaction.non_atomic_requests(view_class.as_view(**initkwargs))


router = SimpleRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("roles", RoleViewSet, basename="role")
router.register("duties", DutyViewSet, basename="duty")
router.register("teams", ProjectTeamViewSet, basename="team")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/export/", OrganisationExportView.as_view(), name="export"),
    path("v1/organisation/", OrganisationView.as_view(), name="organisation"),
    path("v1/insights/", InsightsView.as_view(), name="insights"),
    path("v1/changes/", ChangeFeedView.as_view(), name="changes"),
    # The contract and its documentation never touch the database.
    path("schema/", _without_transaction(SpectacularAPIView), name="schema"),
    # Swagger UI's page and its script are two requests, so that no inline script is needed.
    path(
        "docs/",
        _without_transaction(SpectacularSwaggerSplitView, url_name="api:schema"),
        name="docs",
    ),
    # ReDoc styles its page with generated <style> elements and searches in a worker it makes
    # from a blob: its page alone allows both. Its bundle comes from the portal (docs.py).
    path(
        "redoc/",
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
            _without_transaction(OfflineRedocView, url_name="api:schema")
        ),
        name="redoc",
    ),
    path(
        "redoc/bundle.js", transaction.non_atomic_requests(redoc_bundle_view), name="redoc-bundle"
    ),
    # Anything else under /api/ answers 404 in the API's error format, not as an HTML page.
    re_path(r"", not_found, name="not-found"),
]
