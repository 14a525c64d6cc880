"""Health checks for load balancers and orchestrators."""

from django.urls import path

from orgportal import health

app_name = "health"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
