"""Admin for HR: project teams with their members inline, filtered by status and department."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from departments.admin import ConcurrentChangeAdminMixin
from departments.models import Department
from orgportal.changes.admin import VersionsAdminMixin
from orgportal.i18n import columns, localized
from orgportal.orgfiles.spreadsheets import SpreadsheetAdminMixin
from orgportal.translated_admin import (
    MissingEnglishFilter,
    TranslatedAdminForm,
    language_fieldsets,
)
from roles.admin import RoleChoiceField
from roles.models import Role
from teams.models import ProjectTeam, TeamMember
from teams.resources import ProjectTeamResource, TeamMemberResource


class TeamMemberInlineForm(TranslatedAdminForm):
    class Meta:
        model = TeamMember
        fields = ("role", "allocation", *columns("responsibility"), "sort_order")
        widgets = {
            name: forms.Textarea(attrs={"rows": 2, "cols": 28})
            for name in columns("responsibility")
        }


class TeamMemberInline(TranslationTabularInline):
    model = TeamMember
    form = TeamMemberInlineForm
    fields = ("role", "allocation", *columns("responsibility"), "sort_order")
    ordering = ("sort_order", "pk")
    autocomplete_fields = ("role",)
    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs.update(form_class=RoleChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role__department")


class TeamDepartmentFilter(admin.SimpleListFilter):
    """Teams drawing on a department's subtree (a member or the Owner there)."""

    title = _("department (with sub-departments)")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        rows = Department.objects.order_by("tree_id", "lft").values(
            "code", "level", *columns("name")
        )
        return [(row["code"], f"{'— ' * row['level']}{localized(row, 'name')}") for row in rows]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        department = Department.objects.filter(code=self.value()).first()
        if department is None:
            return queryset.none()
        return queryset.drawing_on(department)


@admin.register(ProjectTeam)
class ProjectTeamAdmin(
    VersionsAdminMixin, SpreadsheetAdminMixin, ConcurrentChangeAdminMixin, TranslationAdmin
):
    # Teams by code; their members (by team and role code) as the second file.
    resource_classes = [ProjectTeamResource, TeamMemberResource]
    form = TranslatedAdminForm
    list_display = (
        "name_zh_hans",
        "name_en",
        "code",
        "owner",
        "status",
        "starts_on",
        "ends_on",
        "member_count",
        "is_active",
    )
    list_filter = ("status", TeamDepartmentFilter, "is_active", MissingEnglishFilter)
    list_select_related = ("owner__department",)
    search_fields = (
        "code",
        *columns("name", "purpose"),
        *(f"members__{name}" for name in columns("responsibility")),
    )
    autocomplete_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [TeamMemberInline]
    actions = ["archive_selected"]
    save_on_top = True
    fieldsets = (
        (None, {"fields": ("code", "owner", "status", ("starts_on", "ends_on"), "is_active")}),
        *language_fieldsets(("name", "purpose")),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, team):
        return team.member_total

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs.update(
                form_class=RoleChoiceField, queryset=Role.objects.select_related("department")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(permissions=["change"], description=_("Archive the selected project teams"))
    def archive_selected(self, request, queryset):
        teams = []
        for team in queryset.filter(is_active=True):
            team.is_active = False
            try:
                team.save(update_fields=["is_active", "updated_at"])
            except ProjectTeam.DoesNotExist:
                continue
            teams.append(team)
            self.log_change(request, team, gettext("Archived."))
        self.message_user(
            request,
            ngettext("Archived %d project team.", "Archived %d project teams.", len(teams))
            % len(teams),
        )
