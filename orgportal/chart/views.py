"""The org chart page: the organisation from its root, as a chart or an outline."""

from django.template.loader import render_to_string
from django.views.generic import TemplateView

from departments.access import PortalReadMixin
from departments.api.filters import CODE_RE
from departments.models import Department
from departments.tree import load_tree, tree_from_rows
from orgportal.cache import org_cached
from orgportal.changes.asof import tree_rows
from orgportal.changes.moments import as_of_context
from orgportal.changes.states import rows_as_of
from orgportal.chart.overlay import team_badges, team_overlay
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
        # The matrix overlay: a link switch (?teams=1), so it works without JavaScript.
        teams = self.request.GET.get("teams") == "1"
        focus_code = self.request.GET.get("focus", "")
        archived = int(self.show_archived)
        focus_key = self.known_focus(focus_code)
        # The drawn chart (HTML and plain figures) is cached until the organisation next
        # changes (see orgportal.cache). Only known codes make drawings of their own, so no
        # visitor can fill the cache with made-up ones.
        as_of = as_of_context(self.request)
        context.update(as_of)
        if as_of["as_of"] is not None:
            # The organisation as it stood then, rebuilt from the history in three queries and
            # drawn by the same builder; not cached.
            rows = rows_as_of(as_of["as_of"])
            chart = self.draw_chart(view, focus_key, context["archived_query"], rows=rows)
            context.update(chart, view=view, focus_code=focus_code, focused=bool(focus_key))
            return context
        chart = org_cached(
            f"org-chart:{view}:{archived}:{focus_key}:{int(teams)}",
            lambda: self.draw_chart(view, focus_key, context["archived_query"], teams=teams),
            version=request_org_state(self.request)[0],
        )
        context.update(
            chart, view=view, focus_code=focus_code, focused=bool(focus_key), teams_on=teams
        )
        return context

    def known_focus(self, code):
        """Return ``code`` if it names a department this reader sees in the chart, else ""."""
        if not code or not CODE_RE.fullmatch(code):
            return ""
        departments = Department.objects.filter(code=code)
        if not self.show_archived:
            departments = departments.visible()
        return code if departments.exists() else ""

    def draw_chart(self, view, focus_code, archived_query, *, teams=False, rows=None):
        """Return the chart's summary and its tree drawn as HTML, the path to the focus open.

        ``rows`` (orgportal.changes.states.OrganisationRows) draws the organisation they hold,
        as of a past date, instead of today's.
        """
        if rows is None:
            root = load_tree(Department.objects.all(), include_archived=self.show_archived)
        else:
            root = tree_from_rows(*tree_rows(rows), include_archived=self.show_archived)
        if root is None:
            return {"root": None}
        open_all = root.descendant_count <= OPEN_ALL_UP_TO
        by_pk = {}
        for node in root.walk():
            node.is_open = open_all or node is root
            by_pk[node.pk] = node
            if node.code == focus_code:
                node.is_focused = True
                step = node
                while step is not None:
                    step.is_open = True
                    step = by_pk.get(step.parent_id)
        overlay = team_overlay(show_archived=self.show_archived) if teams else []
        # Tree nodes have fixed slots: the cards look their teams up by code.
        badges = team_badges(overlay)
        template = (
            "orgportal/chart/outline_node.html"
            if view == "outline"
            else "orgportal/chart/chart_node.html"
        )
        tree_html = render_to_string(
            template,
            {
                "node": root,
                "is_root": True,
                "archived_query": archived_query,
                "teams_on": teams,
                "team_badges": badges,
            },
        )
        summary = {
            "department": {
                "name": root.name,
                "tagline": root.tagline,
                "description": root.description,
            },
            "subtree_role_count": root.subtree_role_count,
            "seats": root.seats,
            "seats_unknown": root.seats_unknown,
            "descendant_count": root.descendant_count,
        }
        return {"root": summary, "tree_html": tree_html, "overlay": overlay}
