"""Admin for HR: roles with their duties inline, filtered by the department tree."""

from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from mptt.admin import TreeRelatedFieldListFilter
from mptt.forms import TreeNodeChoiceField

from roles.models import Duty, Role


class DutyInline(admin.TabularInline):
    model = Duty
    fields = ("sort_order", "area", "text")
    ordering = ("sort_order", "pk")
    extra = 1


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("title", "title_en", "code", "department", "headcount", "is_active")
    list_filter = (("department", TreeRelatedFieldListFilter), "is_active")
    list_select_related = ("department",)
    search_fields = ("title", "title_en", "code", "summary", "duties__text", "duties__area")
    autocomplete_fields = ("reports_to",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [DutyInline]
    actions = ["archive_selected"]
    fieldsets = (
        (None, {"fields": ("code", "title", "title_en", "department", "is_active")}),
        (_("Planning"), {"fields": ("headcount", "reports_to", "sort_order", "summary")}),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            # Show the department choices indented as a tree.
            kwargs.update(form_class=TreeNodeChoiceField, level_indicator="—")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(permissions=["change"], description=_("Archive the selected roles"))
    def archive_selected(self, request, queryset):
        roles = list(queryset.filter(is_active=True))
        for role in roles:
            role.is_active = False
            role.save(update_fields=["is_active", "updated_at"])
            self.log_change(request, role, gettext("Archived."))
        self.message_user(
            request,
            ngettext("Archived %d role.", "Archived %d roles.", len(roles)) % len(roles),
        )


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    list_display = ("text", "area", "role", "sort_order")
    list_filter = (("role__department", TreeRelatedFieldListFilter), "area")
    list_select_related = ("role",)
    search_fields = ("text", "area", "role__title", "role__title_en")
    autocomplete_fields = ("role",)
