"""The org chart page: the organisation from its root, as a chart or an outline."""

from django.template.loader import render_to_string
from django.views.generic import TemplateView

from departments.access import PortalReadMixin
from departments.models import Department
from departments.views import OrgNode, org_tree
from orgportal.cache import org_cached
from orgportal.conditional import OrgConditionalMixin, request_org_state

# Up to this many departments the chart opens fully; above it only the first level shows.
OPEN_ALL_UP_TO = 30


class OrgChartView(OrgConditionalMixin, PortalReadMixin, TemplateView):
    """Draw the organisation from its root, as a chart or as an outline."""

    archived_model = Department
    template_name = "orgportal/chart/org_chart.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        view = "outline" if self.request.GET.get("view") == "outline" else "chart"
        focus_code = self.request.GET.get("focus", "")
        archived = int(self.show_archived)
        version = request_org_state(self.request)[0]
        # Loading the tree is cheap, drawing it is not: both are cached until the organisation
        # next changes (see orgportal.cache). Only known codes make drawings of their own, so
        # no visitor can fill the cache with made-up ones.
        root = org_cached(
            f"org-tree:{archived}",
            lambda: org_tree(Department.objects.all(), include_archived=self.show_archived),
            per_language=False,
            version=version,
        )
        path = root.path_to(focus_code) if root is not None and focus_code else []
        focus_key = path[-1].department.code if path else ""
        chart = org_cached(
            f"org-chart:{view}:{archived}:{focus_key}",
            lambda: self.draw_chart(root, path, view, context["archived_query"]),
            version=version,
        )
        context.update(chart, view=view, focus_code=focus_code, focused=bool(path))
        return context

    def draw_chart(self, root, path, view, archived_query):
        """Return the chart's summary and its tree drawn as HTML, the ``path`` opened."""
        if root is None:
            return {"root": None}
        open_all = root.descendant_count <= OPEN_ALL_UP_TO
        for node in root.walk():
            node.is_open = open_all or node is root
        for node in path:
            node.is_open = True
        if path:
            path[-1].is_focused = True
        template = (
            "orgportal/chart/outline_node.html"
            if view == "outline"
            else "orgportal/chart/chart_node.html"
        )
        tree_html = render_to_string(
            template,
            {"node": root, "is_root": True, "archived_query": archived_query},
        )
        summary = OrgNode(
            department=root.department,
            role_count=root.role_count,
            subtree_role_count=root.subtree_role_count,
            seats=root.seats,
            seats_unknown=root.seats_unknown,
            descendant_count=root.descendant_count,
        )
        return {"root": summary, "tree_html": tree_html}
