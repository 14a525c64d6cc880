"""Project team pages: every team, and one team with its members by home department."""

from django.db.models import Prefetch
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import DetailView, ListView

from departments.access import PortalReadMixin, ReadOutsideTransactionMixin, can_change
from orgportal.changes.pages import AsOfPageMixin
from roles.models import Role
from teams.models import ProjectTeam, TeamMember


def team_members(*, show_archived):
    """The members of teams in order, with their roles and home departments (one query).

    Without ``show_archived`` a member whose role is hidden is left out, as the role is.
    """
    members = TeamMember.objects.select_related("role__department").order_by("sort_order", "pk")
    if not show_archived:
        members = members.filter(role__in=Role.objects.visible())
    return Prefetch("members", queryset=members)


def readable_teams(*, show_archived):
    teams = ProjectTeam.objects.select_related("owner__department")
    return teams if show_archived else teams.visible()


def home_departments(members):
    """Return the members' home departments in tree order, each once."""
    departments = {member.role.department.pk: member.role.department for member in members}
    return sorted(departments.values(), key=lambda d: (d.tree_id, d.lft))


def members_by_department(team, members):
    """Group ``members`` by home department, in tree order; the Owner's group comes first and
    the Owner first in it."""
    groups = {}
    for member in members:
        member.is_owner = member.role_id == team.owner_id
        groups.setdefault(member.role.department.pk, (member.role.department, []))[1].append(member)
    ordered = sorted(
        groups.values(),
        key=lambda group: (
            group[0].pk != team.owner.department_id,
            group[0].tree_id,
            group[0].lft,
        ),
    )
    for _department, group in ordered:
        group.sort(key=lambda member: not member.is_owner)
    return ordered


class TeamListView(ReadOutsideTransactionMixin, AsOfPageMixin, PortalReadMixin, ListView):
    """Show every team staff may see, with Owner, status, dates, size and departments;
    with ``?as_of=``, the teams as they stood then."""

    as_of_page = "team_list_as_of"

    archived_model = ProjectTeam
    context_object_name = "teams"
    template_name = "teams/team_list.html"

    def get_queryset(self):
        teams = readable_teams(show_archived=self.show_archived)
        return teams.prefetch_related(team_members(show_archived=self.show_archived)).order_by(
            "status", "code"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for team in context["teams"]:
            members = team.members.all()
            team.member_count = len(members)
            team.departments = home_departments(members)
        context["can_edit"] = can_change(self.request.user, ProjectTeam)
        return context


class TeamDetailView(ReadOutsideTransactionMixin, AsOfPageMixin, PortalReadMixin, DetailView):
    """Show a team: purpose, Owner, dates, status, the matrix rule and its members; with
    ``?as_of=``, as it stood then."""

    as_of_page = "team_as_of"

    model = ProjectTeam
    archived_model = ProjectTeam
    slug_field = slug_url_kwarg = "code"
    context_object_name = "team"
    template_name = "teams/team_detail.html"

    def get_queryset(self):
        return readable_teams(show_archived=self.show_archived).prefetch_related(
            team_members(show_archived=self.show_archived)
        )

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            team = ProjectTeam.objects.filter(code=kwargs["code"]).first()
            if team is None or request.GET.get("as_of"):
                raise
        # An archived or closed team: say so (still a 404), show nothing of it.
        return TemplateResponse(
            request,
            "teams/team_gone.html",
            {
                "closed": team.is_active and team.status == ProjectTeam.Status.CLOSED,
                "can_see_archived": can_change(request.user, ProjectTeam),
            },
            status=404,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        team = self.object
        members = list(team.members.all())
        context.update(
            groups=members_by_department(team, members),
            member_count=len(members),
            departments=home_departments(members),
            owner_is_member=any(member.role_id == team.owner_id for member in members),
            can_edit=can_change(self.request.user, ProjectTeam),
            # Without ?archived=1 an archived or closed team is gone: hiding leads to the list.
            hide_archived_url=None
            if ProjectTeam.objects.visible().filter(pk=team.pk).exists()
            else reverse("teams:list"),
        )
        return context
