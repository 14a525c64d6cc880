"""Root URLs: each capability's pages, the admin, the API and the health checks."""

from django.contrib import admin
from django.urls import include, path

# Errors outside the views: the API's error format under /api/, branded pages elsewhere.
handler400 = "orgportal.error_pages.bad_request"
handler500 = "orgportal.error_pages.server_error"

urlpatterns = [
    # First the API, the most requested and the least expensive to answer: Django tries the
    # patterns in order, and every pattern tried before the match costs a little.
    path("api/", include("orgportal.api.urls")),
    path("", include("orgportal.chart.urls")),
    path("search/", include("orgportal.search.urls")),
    # The structure guide (/guide/) and organisation health (/insights/).
    path("", include("orgportal.guide.urls")),
    # What changed, and the delta report between two dates.
    path("changes/", include("orgportal.changes.urls")),
    # The handbook (PDF) and the workbook (xlsx), of everything or of a department or role.
    path("", include("orgportal.orgfiles.urls")),
    path("", include("orgportal.health_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("orgportal.accounts.urls")),
    path("departments/", include("departments.urls")),
    path("roles/", include("roles.urls")),
    path("teams/", include("teams.urls")),
]
