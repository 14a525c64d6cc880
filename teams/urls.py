from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("", views.TeamListView.as_view(), name="list"),
    path("<slug:code>/", views.TeamDetailView.as_view(), name="detail"),
]
