"""Role pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView

from roles.models import Role


class RoleDetailView(LoginRequiredMixin, DetailView):
    model = Role
    slug_field = slug_url_kwarg = "code"
    template_name = "roles/role_detail.html"
