"""The REST API: one router for departments, roles and duties, plus the OpenAPI contract."""

urlpatterns = []
