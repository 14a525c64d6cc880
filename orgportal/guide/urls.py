"""The structure guide and organisation health."""

from django.urls import path

from orgportal.guide import views

app_name = "guide"

urlpatterns = [
    path("guide/", views.GuideView.as_view(), name="guide"),
    path("insights/", views.InsightsView.as_view(), name="insights"),
    path("insights/insights.csv", views.InsightsCsvView.as_view(), name="insights-csv"),
]
