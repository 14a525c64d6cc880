"""Search over the whole organisation."""

from django.urls import path

from orgportal.search import views

app_name = "search"

urlpatterns = [
    path("", views.SearchView.as_view(), name="results"),
    path("departments/", views.DepartmentTypeaheadView.as_view(), name="departments"),
]
