"""Downloads: the handbook of job descriptions and the workbook, whole or for one branch."""

from django.urls import path

from orgportal.orgfiles import views

app_name = "orgfiles"

urlpatterns = [
    path("handbook.pdf", views.HandbookView.as_view(), name="handbook"),
    path("organisation.xlsx", views.WorkbookView.as_view(), name="workbook"),
    path(
        "departments/<slug:code>/handbook.pdf",
        views.HandbookView.as_view(),
        name="department-handbook",
    ),
    path(
        "departments/<slug:code>/organisation.xlsx",
        views.WorkbookView.as_view(),
        name="department-workbook",
    ),
    path("roles/<slug:code>/handbook.pdf", views.RoleHandbookView.as_view(), name="role-handbook"),
]
