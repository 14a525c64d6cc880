"""The org chart at the root of the site."""

from django.urls import path

from orgportal.chart import views

app_name = "chart"

urlpatterns = [
    path("", views.OrgChartView.as_view(), name="home"),
    path("chart/branch/<str:code>/", views.ChartBranchView.as_view(), name="branch"),
]
