"""Role pages."""

from django.http import Http404
from django.views.generic import DetailView

from departments.access import PortalReadMixin, can_change
from departments.views import branch_accent, group_by_area
from roles.models import Role


class RoleDetailView(PortalReadMixin, DetailView):
    """Show a role: where it sits, whom it reports to, who reports to it, and its duties."""

    model = Role
    archived_model = Role
    slug_field = slug_url_kwarg = "code"
    context_object_name = "role"
    template_name = "roles/role_detail.html"

    def get_queryset(self):
        return Role.objects.select_related(
            "department", "reports_to", "reports_to__department"
        ).prefetch_related("duties")

    def get_object(self, queryset=None):
        role = super().get_object(queryset)
        if not self.show_archived and not (role.is_active and role.department.is_active):
            raise Http404("No role found matching the query")
        return role

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = self.object
        direct_reports = role.direct_reports.select_related("department").order_by(
            "department__tree_id", "department__lft", "sort_order", "pk"
        )
        reports_to = role.reports_to
        if not self.show_archived:
            direct_reports = direct_reports.filter(is_active=True, department__is_active=True)
            if reports_to and not (reports_to.is_active and reports_to.department.is_active):
                reports_to = None
        duties = role.duties.all()
        department_path = list(role.department.get_ancestors(include_self=True))
        context.update(
            department_path=department_path,
            accent=branch_accent(department_path, include_archived=self.show_archived),
            reports_to=reports_to,
            direct_reports=list(direct_reports),
            duty_groups=group_by_area(duties),
            duty_count=len(duties),
            can_edit=can_change(self.request.user, Role),
        )
        return context
