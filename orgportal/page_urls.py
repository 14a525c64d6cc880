"""Pages that span both apps: the org chart and search."""

app_name = "orgportal"

urlpatterns = []
