"""/changes/: the organisation's changes, newest first, and the delta report between two dates."""

import csv

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from departments.access import PortalReadMixin, can_change
from departments.models import Department, subtree_q
from orgportal.changes.delta import delta_report
from orgportal.changes.entries import change_entries
from orgportal.changes.kinds import KINDS
from orgportal.changes.models import Change
from orgportal.changes.moments import parse_moment
from roles.models import Role
from teams.models import ProjectTeam

PAGE_SIZE = 50
KIND_LABELS = {
    "added": _("added"),
    "renamed": _("renamed"),
    "moved": _("moved"),
    "archived": _("archived"),
    "restored": _("restored"),
    "duties": _("duties changed"),
    "members": _("team members changed"),
    "edited": _("edited"),
    "deleted": _("deleted"),
}


class MomentField(forms.CharField):
    def __init__(self, *, start_of_day=False, **kwargs):
        self.start_of_day = start_of_day
        super().__init__(required=False, max_length=40, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_moment(value, start_of_day=self.start_of_day)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


class ChangeFilterForm(forms.Form):
    start = MomentField(label=_("From"), start_of_day=True)
    end = MomentField(label=_("To"))
    department = forms.CharField(label=_("Department"), required=False, max_length=64)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *[(kind, KIND_LABELS[kind]) for kind in KINDS]],
    )
    user = forms.CharField(label=_("User"), required=False, max_length=150)

    def __init__(self, data, *, departments=None, **kwargs):
        # "from" is a Python keyword, so the fields are start and end; the URL says from and to.
        data = {**data.dict()} if hasattr(data, "dict") else dict(data)
        data.setdefault("start", data.get("from", ""))
        data.setdefault("end", data.get("to", ""))
        # The departments the reader may name: a hidden one reads as unknown, not as there.
        self.departments = departments if departments is not None else Department.objects.all()
        super().__init__(data, **kwargs)

    def clean_department(self):
        code = self.cleaned_data["department"]
        if not code:
            return None
        department = self.departments.filter(code=code).first()
        if department is None:
            raise forms.ValidationError(gettext("No department has the code “%s”.") % code)
        return department


class ChangeListView(PortalReadMixin, TemplateView):
    """List the changes newest first; with from and to, the delta report between them."""

    archived_model = Department
    template_name = "orgportal/changes/change_list.html"

    def get(self, request, *args, **kwargs):
        self.editor = all(can_change(request.user, model) for model in (Department, Role))
        departments = Department.objects.all() if self.editor else Department.objects.visible()
        self.form = ChangeFilterForm(request.GET, departments=departments)
        self.form.is_valid()
        if request.GET.get("format") == "csv" and not self.form.errors:
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def filtered_changes(self):
        data = self.form.cleaned_data if not self.form.errors else {}
        # Newest first by insertion: the page needs no commit order (rows of transactions in
        # flight are not visible to it anyway), so it also shows them before numbering.
        changes = Change.objects.all()
        if data.get("start"):
            changes = changes.filter(history_date__gte=data["start"])
        if data.get("end"):
            changes = changes.filter(history_date__lte=data["end"])
        if data.get("department"):
            inside = Department._base_manager.filter(subtree_q(data["department"]))
            changes = changes.filter(department_id__in=inside.values("pk"))
        if data.get("kind"):
            changes = changes.filter(
                Q(kinds=data["kind"])
                | Q(kinds__contains=f"{data['kind']},")
                | Q(kinds__endswith=f",{data['kind']}")
            )
        if data.get("user"):
            users = get_user_model().objects.filter(username=data["user"])
            changes = changes.filter(user_id__in=users.values("pk"))
        if not self.editor:
            # Archived rules: nothing of an archived department, of what lies below one, or of
            # an archived role.
            changes = (
                changes.exclude(department_id__in=Department.objects.hidden().values("pk"))
                .exclude(role_id__in=Role.objects.hidden().values("pk"))
                .exclude(team_id__in=ProjectTeam.objects.hidden().values("pk"))
            )
        return changes.order_by("-id").values("seq", "model", "history_id", "kinds")

    def delta(self):
        data = self.form.cleaned_data if not self.form.errors else {}
        if not (data.get("start") and data.get("end")):
            return None
        hidden_departments = hidden_roles = hidden_teams = ()
        if not self.editor:
            hidden_departments = set(Department.objects.hidden().values_list("pk", flat=True))
            hidden_roles = set(Role.objects.hidden().values_list("pk", flat=True))
            hidden_teams = set(ProjectTeam.objects.hidden().values_list("pk", flat=True))
        return delta_report(
            data["start"],
            data["end"],
            hidden_departments=hidden_departments,
            hidden_roles=hidden_roles,
            hidden_teams=hidden_teams,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(self.filtered_changes(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        entries = change_entries(list(page.object_list), show_hidden=self.editor)
        for entry in entries:
            entry.kind_labels = [KIND_LABELS.get(kind, kind) for kind in entry.kinds]
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("format", None)
        delta = self.delta()
        context.update(
            form=self.form,
            page=page,
            entries=entries,
            delta=delta,
            delta_total=sum(len(section.lines) for section in delta or ()),
            query=query.urlencode(),
            now=timezone.localtime(),
        )
        return context

    def csv_response(self):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="changes.csv"'
        # A byte order mark, so that Excel reads the Chinese texts as UTF-8.
        response.write("\ufeff")
        writer = csv.writer(response)
        delta = self.delta()
        if delta is not None:
            writer.writerow(
                [
                    gettext("section"),
                    gettext("code"),
                    gettext("name"),
                    gettext("before"),
                    gettext("after"),
                ]
            )
            for section in delta:
                for line in section.lines:
                    writer.writerow(
                        [str(section.label), line.code, line.name, line.before, line.after]
                    )
            return response
        writer.writerow(
            [
                gettext("time"),
                gettext("kind"),
                gettext("change"),
                gettext("user"),
                gettext("reason"),
                gettext("through"),
            ]
        )
        changes = list(self.filtered_changes()[:5000])
        for entry in change_entries(changes, show_hidden=self.editor):
            writer.writerow(
                [
                    timezone.localtime(entry.at).isoformat(timespec="seconds"),
                    ",".join(entry.kinds),
                    entry.sentence,
                    entry.user,
                    entry.reason,
                    entry.source,
                ]
            )
        return response
