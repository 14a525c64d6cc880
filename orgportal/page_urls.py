"""Pages that span both apps: the org chart and search."""

from django.urls import path

from orgportal import views

app_name = "orgportal"

urlpatterns = [
    path("", views.OrgChartView.as_view(), name="home"),
    path("search/", views.SearchView.as_view(), name="search"),
]
