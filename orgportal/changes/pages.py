"""Department, role and team pages as of a past moment (``?as_of=``), rendered from the history.

The organisation then is rebuilt by rows_as_of() (seven queries whatever the date), left as those
who may not see archived items saw it then (visible_rows()), and turned into unsaved model
instances that the pages' own templates render, with the banner of the chart
("2026年6月1日的组织"). A page whose object did not exist then, or was hidden then from this
reader (archived, below an archived department, a closed team), is a 404.
"""

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.http import urlencode

from departments.models import Department
from departments.tree import tree_from_rows
from orgportal.changes.asof import INSTANCE_SKIP, tree_rows, with_nested_set
from orgportal.changes.moments import as_of_context
from orgportal.changes.states import rows_as_of, visible_rows
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember


def _instance(model, row, **attributes):
    instance = model(**{k: v for k, v in row.items() if k not in INSTANCE_SKIP})
    instance._state.adding = False
    for name, value in attributes.items():
        setattr(instance, name, value)
    return instance


def _group_by_area(duties):
    groups = {}
    for duty in duties:
        groups.setdefault(duty.area, []).append(duty)
    return list(groups.items())


class Organisation:
    """The organisation at a moment as model instances, linked as the pages read them."""

    def __init__(self, rows, *, show_archived):
        self.all_rows = rows
        if not show_archived:
            rows = visible_rows(rows)
        self.rows = rows
        self.show_archived = show_archived
        self.departments = {}
        for row in with_nested_set([dict(row) for row in rows.departments]):
            self.departments[row["id"]] = _instance(
                Department,
                row,
                lft=row["lft"],
                rght=row["rght"],
                level=row["level"],
                tree_id=1,
            )
        self.roles = {}
        for row in rows.roles:
            department = self.departments.get(row["department_id"])
            if department is not None:
                self.roles[row["id"]] = _instance(Role, row, department=department)
        self.duties = {}
        for row in rows.duties:
            if row["role_id"] in self.roles:
                duty = _instance(Duty, row, role=self.roles[row["role_id"]])
                self.duties.setdefault(row["role_id"], []).append(duty)
        self.teams = {}
        for row in rows.teams:
            if row["owner_id"] in self.roles:
                self.teams[row["id"]] = _instance(
                    ProjectTeam, row, owner=self.roles[row["owner_id"]]
                )
        self.members = {}
        for row in rows.members:
            team, role = self.teams.get(row["team_id"]), self.roles.get(row["role_id"])
            if team is not None and role is not None:
                member = _instance(TeamMember, row, team=team, role=role)
                self.members.setdefault(team.pk, []).append(member)

    def department(self, code):
        found = next((d for d in self.departments.values() if d.code == code), None)
        if found is None:
            raise Http404(code)
        return found

    def path(self, department):
        """Return the departments from the root down to ``department``, itself included."""
        path = [department]
        while path[0].parent_id is not None and path[0].parent_id in self.departments:
            path.insert(0, self.departments[path[0].parent_id])
        return path

    def tree(self):
        return tree_from_rows(*tree_rows(self.rows), include_archived=self.show_archived)

    def node(self, department):
        root = self.tree()
        for node in root.walk() if root is not None else ():
            if node.pk == department.pk:
                return node
        raise Http404(department.code)

    def within(self, department, role):
        return department.lft <= role.department.lft and role.department.rght <= department.rght

    def department_teams(self, department):
        """The teams drawing on a role (member or Owner) of ``department``'s subtree."""
        found = []
        for team in sorted(self.teams.values(), key=lambda team: team.code):
            team.drawn_roles = [
                member.role
                for member in self.members.get(team.pk, [])
                if self.within(department, member.role)
            ]
            if team.drawn_roles or self.within(department, team.owner):
                found.append(team)
        return found

    def role_teams(self, role):
        entries = []
        for team in self.teams.values():
            membership = next(
                (m for m in self.members.get(team.pk, []) if m.role_id == role.pk), None
            )
            if membership is not None or team.owner_id == role.pk:
                entries.append(
                    {"team": team, "membership": membership, "is_owner": team.owner_id == role.pk}
                )
        entries.sort(key=lambda entry: (not entry["is_owner"], entry["team"].code))
        return entries


class AsOfPageMixin:
    """Answer ``?as_of=<date>`` on a page from the history; without it, the page as today.

    ``as_of_page`` names the method of this mixin that returns the page's context from an
    Organisation and the URL's code. A bad ``as_of`` shows today's page with the error.
    """

    as_of_page = None

    def get(self, request, *args, **kwargs):
        as_of = as_of_context(request)
        if as_of["as_of"] is None:
            # Today's page; it shows a bad as_of's error in its banner.
            self.as_of_context = as_of
            return super().get(request, *args, **kwargs)
        organisation = Organisation(rows_as_of(as_of["as_of"]), show_archived=self.show_archived)
        query = {"as_of": as_of["as_of_value"]}
        if self.show_archived:
            query["archived"] = "1"
        context = {
            "view": self,
            "show_archived": self.show_archived,
            "can_see_archived": self.archived_model is not None and self.can_see_archived_items(),
            # Links between pages keep the date (and the archived view).
            "archived_query": f"?{urlencode(query)}",
            "hide_archived_url": None,
            "can_edit": False,
            **as_of,
            **getattr(self, self.as_of_page)(organisation, kwargs.get("code")),
        }
        return TemplateResponse(request, [self.template_name], context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(getattr(self, "as_of_context", {}))
        return context

    def can_see_archived_items(self):
        from departments.access import can_change

        return can_change(self.request.user, self.archived_model)

    def department_as_of(self, organisation, code):
        department = organisation.department(code)
        node = organisation.node(department)
        path = organisation.path(department)
        roles = sorted(
            (
                role
                for role in organisation.roles.values()
                if role.department_id == department.pk
                and (role.is_active or organisation.show_archived)
            ),
            key=lambda role: (role.sort_order, role.pk),
        )
        for role in roles:
            role.duty_groups = _group_by_area(organisation.duties.get(role.pk, []))
        return {
            "department": department,
            "object": department,
            "ancestors": path[:-1],
            "node": node,
            "roles": roles,
            "duty_count": sum(len(organisation.duties.get(role.pk, [])) for role in roles),
            "as_of_teams": organisation.department_teams(department),
        }

    def role_as_of(self, organisation, code):
        role = next((r for r in organisation.roles.values() if r.code == code), None)
        if role is None:
            raise Http404(code)
        path = organisation.path(role.department)
        node = organisation.node(path[0])
        accent = next(
            (child.accent for child in node.children if len(path) > 1 and child.pk == path[1].pk),
            0,
        )
        duties = organisation.duties.get(role.pk, [])
        direct_reports = sorted(
            (r for r in organisation.roles.values() if r.reports_to_id == role.pk),
            key=lambda r: (r.department.lft, r.sort_order, r.pk),
        )
        return {
            "role": role,
            "object": role,
            "department_path": path,
            "accent": accent,
            "reports_to": organisation.roles.get(role.reports_to_id),
            "direct_reports": direct_reports,
            "duty_groups": _group_by_area(duties),
            "duty_count": len(duties),
            "as_of_teams": organisation.role_teams(role),
        }

    def team_as_of(self, organisation, code):
        from teams.views import home_departments, members_by_department

        team = next((t for t in organisation.teams.values() if t.code == code), None)
        if team is None:
            raise Http404(code)
        members = organisation.members.get(team.pk, [])
        return {
            "team": team,
            "object": team,
            "groups": members_by_department(team, members),
            "member_count": len(members),
            "departments": home_departments(members),
            "owner_is_member": any(member.role_id == team.owner_id for member in members),
        }

    def team_list_as_of(self, organisation, code=None):
        from teams.views import home_departments

        teams = sorted(organisation.teams.values(), key=lambda team: (team.status, team.code))
        for team in teams:
            members = organisation.members.get(team.pk, [])
            team.member_count = len(members)
            team.departments = home_departments(members)
        return {"teams": teams, "object_list": teams}
