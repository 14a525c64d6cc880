from django.urls import path

from roles import views

app_name = "roles"

urlpatterns = [
    path("<slug:code>/", views.RoleDetailView.as_view(), name="detail"),
]
