"""Role pages."""

from django.db.models import Exists, OuterRef
from django.views.generic import DetailView

from departments.access import PortalReadMixin, ReadOutsideTransactionMixin, can_change
from departments.tree import ancestors
from departments.views import (
    ArchivedPageMixin,
    branch_accent,
    group_by_area,
    last_visible,
    way_back_url,
)
from orgportal.changes.pages import AsOfPageMixin
from orgportal.conditional import OrgConditionalMixin
from roles.models import Role


class RoleDetailView(
    ReadOutsideTransactionMixin,
    OrgConditionalMixin,
    AsOfPageMixin,
    ArchivedPageMixin,
    PortalReadMixin,
    DetailView,
):
    """Show a role: where it sits, whom it reports to, who reports to it, and its duties;
    with ``?as_of=``, as it stood then (orgportal.changes.pages)."""

    as_of_page = "role_as_of"

    model = Role
    archived_model = Role
    slug_field = slug_url_kwarg = "code"
    context_object_name = "role"
    template_name = "roles/role_detail.html"

    def get_queryset(self):
        roles = Role.objects.select_related(
            "department", "reports_to", "reports_to__department"
        ).prefetch_related("duties")
        if self.show_archived:
            return roles
        # A role is hidden when it is archived or its department is hidden, and so is the
        # role it reports to.
        visible_boss = Role.objects.visible().filter(pk=OuterRef("reports_to_id"))
        return roles.visible().annotate(reports_to_visible=Exists(visible_boss))

    def archived_item(self, code):
        return Role._base_manager.select_related("department").filter(code=code).first()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = self.object
        direct_reports = role.direct_reports.select_related("department").order_by(
            "department__tree_id", "department__lft", "sort_order", "pk"
        )
        reports_to = role.reports_to
        if not self.show_archived:
            direct_reports = direct_reports.visible()
            if not role.reports_to_visible:
                reports_to = None
        duties = role.duties.all()
        # By the parent links, as the department page's breadcrumbs (departments.tree).
        department_path = ancestors(role.department, include_self=True)
        visible = role.is_active and last_visible(department_path) == role.department
        context.update(
            # Without ?archived=1 an archived role is gone: hiding them leads to its department.
            hide_archived_url=None if visible else way_back_url(department_path),
            department_path=department_path,
            accent=branch_accent(department_path),
            reports_to=reports_to,
            direct_reports=list(direct_reports),
            duty_groups=group_by_area(duties),
            duty_count=len(duties),
            can_edit=can_change(self.request.user, Role),
        )
        return context
