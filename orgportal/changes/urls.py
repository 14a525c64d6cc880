"""The changes page and its delta report."""

from django.urls import path

from orgportal.changes import views

app_name = "changes"

urlpatterns = [
    path("", views.ChangeListView.as_view(), name="list"),
]
