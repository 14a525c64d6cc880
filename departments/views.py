"""Department pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView

from departments.models import Department


class DepartmentDetailView(LoginRequiredMixin, DetailView):
    model = Department
    slug_field = slug_url_kwarg = "code"
    template_name = "departments/department_detail.html"
