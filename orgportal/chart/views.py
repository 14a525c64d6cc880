"""The org chart page: the organisation from its root, as a chart or an outline, drawn open
as far as it is shown; and the fragments that open its closed branches on demand."""

import re

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.http.request import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from departments.access import PortalReadMixin, ReadOutsideTransactionMixin
from departments.api.filters import CODE_RE
from departments.models import Department
from departments.tree import load_tree, tree_from_rows
from orgportal.cache import org_cached
from orgportal.changes.asof import tree_rows
from orgportal.changes.moments import as_of_context
from orgportal.changes.states import TREE_PARTS, rows_as_of
from orgportal.chart.open_tree import (
    child_page,
    child_rows,
    children_seen,
    nodes_from_rows,
    path_rows,
)
from orgportal.chart.overlay import team_badges, team_overlay
from orgportal.conditional import OrgConditionalMixin, request_org_state

PAGE_RE = re.compile(r"[1-9][0-9]{0,6}")
TEMPLATES = {
    "chart": ("orgportal/chart/chart_node.html", "orgportal/chart/chart_branch.html"),
    "outline": ("orgportal/chart/outline_node.html", "orgportal/chart/outline_branch.html"),
}
CONTENT_TEMPLATE = "orgportal/chart/org_chart_content.html"
# The chart page's parameters and the values whose pages are cached whole (see
# content_cache_key); ``focus`` is cached for known codes only.
CACHED_PARAMETERS = {
    "view": {"chart", "outline"},
    "teams": {"1"},
    "expand": {"all"},
    "archived": {"1"},
}


def content_cache_key(request, *, focus_key, show_archived, can_see_archived):
    """Return the cache name of the chart page's content for this request, or None.

    The content's links repeat the query, so it is cached per query, but only for queries made
    of the chart's own parameters with the values it knows (and a known focus): no visitor can
    fill the cache with made-up ones. The date is part of it, for the as-of picker's latest day.
    """
    for name, values in request.GET.lists():
        if len(values) != 1:
            return None
        if name == "focus":
            if values[0] != focus_key:
                return None
        elif values[0] not in CACHED_PARAMETERS.get(name, ()):
            return None
    return ":".join(
        [
            "org-chart-page",
            request.get_full_path(),
            str(int(show_archived)),
            str(int(can_see_archived)),
            timezone.localdate().isoformat(),
        ]
    )


def chart_links(view, *, teams, show_archived, as_of_value=""):
    """Return the template context that links closed cards: ``focus_url`` (the chart opened
    at a department, without JavaScript: append the code) and ``branch_query`` (the query of
    its fragment; empty when the chart is as of a past date, whose branches open by focus)."""
    query = QueryDict(mutable=True)
    branch = QueryDict(mutable=True)
    branch["view"] = view
    if view == "outline":
        query["view"] = "outline"
    for name, on in (("teams", teams), ("archived", show_archived)):
        if on:
            query[name] = branch[name] = "1"
    if as_of_value:
        query["as_of"] = as_of_value
    query["focus"] = ""
    return {
        "focus_url": f"{reverse('chart:home')}?{query.urlencode()}",
        "branch_query": "" if as_of_value else f"?{branch.urlencode()}",
        "anchor": "outline" if view == "outline" else "dept",
    }


class ChartRequestMixin:
    """What the chart's page and its fragments read from the query: layout and overlay."""

    archived_model = Department

    def chart_view(self):
        return "outline" if self.request.GET.get("view") == "outline" else "chart"

    def teams_on(self):
        # The matrix overlay: a link switch (?teams=1), so it works without JavaScript.
        return self.request.GET.get("teams") == "1"


class OrgChartView(
    ReadOutsideTransactionMixin,
    ChartRequestMixin,
    OrgConditionalMixin,
    PortalReadMixin,
    TemplateView,
):
    """Draw the organisation from its root, as a chart or as an outline.

    Small organisations open whole; larger ones show the root's children closed, and the path
    to ``?focus=`` open. ``?expand=all`` opens everything up to a set size.
    """

    template_name = "orgportal/chart/org_chart.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        view = self.chart_view()
        teams = self.teams_on()
        expand = self.request.GET.get("expand") == "all"
        focus_code = self.request.GET.get("focus", "")
        as_of = as_of_context(self.request)
        context.update(as_of)
        links = chart_links(
            view,
            teams=teams,
            show_archived=self.show_archived,
            as_of_value=as_of["as_of_value"] if as_of["as_of"] is not None else "",
        )
        if as_of["as_of"] is not None:
            # The organisation as it stood then, rebuilt from the history in three queries;
            # drawn open as far as today's chart would be, and not cached.
            chart = self.draw_as_of(view, focus_code, as_of["as_of"], expand, links, context)
            context.update(chart, view=view, focus_code=focus_code)
            return context
        known = (
            focus_code
            and CODE_RE.fullmatch(focus_code)
            and children_seen(focus_code, include_archived=self.show_archived) is not None
        )
        focus_key = focus_code if known else ""
        # The drawn chart (HTML and plain figures) is cached until the organisation next
        # changes (see orgportal.cache). Only known codes make drawings of their own, so no
        # visitor can fill the cache with made-up ones.
        archived = int(self.show_archived)
        chart = org_cached(
            f"org-chart:{view}:{archived}:{focus_key}:{int(teams)}:{int(expand)}",
            lambda: self.draw_chart(view, focus_key, expand, teams, links, context),
            version=request_org_state(self.request)[0],
        )
        context.update(
            chart, view=view, focus_code=focus_code, focused=bool(focus_key), teams_on=teams
        )
        # The page around the chart (figures, toolbar, links) is cached as HTML too: a cached
        # answer then renders little more than the site's header.
        key = content_cache_key(
            self.request,
            focus_key=focus_key,
            show_archived=self.show_archived,
            can_see_archived=context["can_see_archived"],
        )
        if key is not None:
            context["content_html"] = org_cached(
                key,
                lambda: render_to_string(CONTENT_TEMPLATE, context, request=self.request),
                version=request_org_state(self.request)[0],
            )
        return context

    def draw_chart(self, view, focus_code, expand, teams, links, context):
        """Return the chart's summary and its open levels drawn as HTML.

        Three queries whatever the size: the path to the focus (or the root alone), the
        children of the open departments and their role totals; or, for an organisation drawn
        whole, the path, all its rows and role totals.
        """
        include_archived = self.show_archived
        path = path_rows(focus_code, include_archived=include_archived)
        if not path or not (include_archived or path[0]["is_active"]):
            return {"root": None}
        size = path[0]["below"]
        expandable = size <= settings.ORGPORTAL_CHART_EXPAND_ALL_UP_TO
        whole = size <= settings.ORGPORTAL_CHART_OPEN_UP_TO or (expand and expandable)
        if whole:
            root = load_tree(Department.objects.all(), include_archived=include_archived)
            for node in root.walk():
                node.is_open = True
                node.is_focused = node.code == focus_code
        else:
            page_size = settings.ORGPORTAL_CHART_PAGE_SIZE
            children = child_rows(
                [row["pk"] for row in path], include_archived=include_archived, page_size=page_size
            )
            nodes = nodes_from_rows(path, children, page_size=page_size)
            root = nodes[path[0]["pk"]]
            if focus_code:
                nodes[path[-1]["pk"]].is_focused = True
        return self.render_chart(root, view, teams, links, context, whole, expandable)

    def draw_as_of(self, view, focus_code, moment, expand, links, context):
        """Return the chart of the organisation as of ``moment``, open as today's would be."""
        rows = rows_as_of(moment, only=TREE_PARTS)
        root = tree_from_rows(*tree_rows(rows), include_archived=self.show_archived)
        if root is None:
            return {"root": None, "focused": False}
        expandable = root.descendant_count <= settings.ORGPORTAL_CHART_EXPAND_ALL_UP_TO
        whole = root.descendant_count <= settings.ORGPORTAL_CHART_OPEN_UP_TO or (
            expand and expandable
        )
        by_pk = {}
        focused = False
        for node in root.walk():
            node.is_open = whole or node is root
            by_pk[node.pk] = node
            if focus_code and node.code == focus_code:
                focused = node.is_focused = True
                step = node
                while step is not None:
                    step.is_open = True
                    step = by_pk.get(step.parent_id)
        if not whole:
            # Only the open levels are drawn: closed cards keep their counts and open by focus.
            for node in by_pk.values():
                if not node.is_open:
                    node.children = []
        chart = self.render_chart(root, view, False, links, context, whole, expandable)
        chart["focused"] = focused
        return chart

    def render_chart(self, root, view, teams, links, context, whole, expandable):
        overlay = team_overlay(show_archived=self.show_archived) if teams else []
        tree_html = render_to_string(
            TEMPLATES[view][0],
            {
                "node": root,
                "is_root": True,
                "archived_query": context["archived_query"],
                "teams_on": teams,
                # Tree nodes have fixed slots: the cards look their teams up by code.
                "team_badges": team_badges(overlay),
                "next_page": 2,
                **links,
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
        return {
            "root": summary,
            "tree_html": tree_html,
            "overlay": overlay,
            "drawn_whole": whole,
            "expand_all_offered": expandable and not whole,
            "expand_all_up_to": settings.ORGPORTAL_CHART_EXPAND_ALL_UP_TO,
        }


class BranchFragment(View):
    """Answer a department's children in the chart as an HTML fragment (see ChartBranchView)."""

    def get(self, request, code):
        if "as_of" in request.GET:
            return HttpResponseBadRequest(
                _("as_of: a past organisation's branches open in the chart, with ?focus=."),
                content_type="text/plain; charset=utf-8",
            )
        page = request.GET.get("page", "1")
        if not PAGE_RE.fullmatch(page):
            return HttpResponseBadRequest(
                _("page: give a whole number of 1 or more."),
                content_type="text/plain; charset=utf-8",
            )
        page = int(page)
        include_archived = self.show_archived
        # Checked before a cached drawing is served, so that no one sees a branch they may
        # not, and no one fills the cache with made-up codes or pages.
        child_count = (
            children_seen(code, include_archived=include_archived)
            if CODE_RE.fullmatch(code)
            else None
        )
        if child_count is None:
            raise Http404(_("No department with that code is in the chart."))
        page_size = settings.ORGPORTAL_CHART_PAGE_SIZE
        offset = (page - 1) * page_size
        if page > 1 and offset >= child_count:
            raise Http404(_("That page of the branch is empty."))
        view = self.chart_view()
        teams = self.teams_on()
        html = org_cached(
            f"org-branch:{code}:{page}:{view}:{int(include_archived)}:{int(teams)}",
            lambda: self.draw_branch(code, view, teams, page, offset),
            version=request_org_state(request)[0],
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    def draw_branch(self, code, view, teams, page, offset):
        """Return the HTML of a page of department ``code``'s children (three queries)."""
        page_size = settings.ORGPORTAL_CHART_PAGE_SIZE
        include_archived = self.show_archived
        path = path_rows(code, include_archived=include_archived)
        children = child_page(
            path[-1]["pk"], include_archived=include_archived, offset=offset, limit=page_size
        )
        nodes = nodes_from_rows(
            path,
            children,
            page_size=page_size,
            offset=offset,
            cards=[row["pk"] for row in children],
        )
        overlay = team_overlay(show_archived=include_archived) if teams else []
        return render_to_string(
            TEMPLATES[view][1],
            {
                "node": nodes[path[-1]["pk"]],
                "is_root": False,
                "archived_query": "?archived=1" if include_archived else "",
                "teams_on": teams,
                "team_badges": team_badges(overlay),
                "next_page": page + 1,
                **chart_links(view, teams=teams, show_archived=include_archived),
            },
        )


class ChartBranchView(
    ReadOutsideTransactionMixin,
    ChartRequestMixin,
    OrgConditionalMixin,
    PortalReadMixin,
    BranchFragment,
):
    """A page of a department's children as the chart draws them (``?view=chart|outline``,
    ``?teams=1``, ``?archived=1``, ``?page=``), for the chart to insert where a closed card
    opens. Cached per branch, page, layout and organisation version, in the reader's language;
    a department below an archived one is not found for those who may not see archived items.
    """
