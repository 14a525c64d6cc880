"""Admin for HR: the department tree with drag-and-drop moves through the locked write path."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from mptt.admin import DraggableMPTTAdmin
from mptt.exceptions import InvalidMove

from departments.models import Department
from departments.services import department_archive, department_move

# The drag-and-drop widget sends these; "first-child" is only offered by the API.
ADMIN_POSITIONS = ("last-child", "left", "right")


@admin.register(Department)
class DepartmentAdmin(DraggableMPTTAdmin):
    list_display = ("tree_actions", "indented_title", "code", "name_en", "tagline", "is_active")
    list_display_links = ("indented_title",)
    list_filter = ("is_active",)
    search_fields = ("name", "name_en", "code", "tagline", "positioning", "description")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "parent", "is_active")}),
        (_("Description"), {"fields": ("tagline", "positioning", "description")}),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )
    actions = ["archive_selected"]
    mptt_level_indent = 24

    @admin.action(
        permissions=["change"],
        description=_("Archive the selected departments and their sub-departments"),
    )
    def archive_selected(self, request, queryset):
        archived = sum(department_archive(department=department) for department in queryset)
        for department in queryset:
            self.log_change(request, department, gettext("Archived."))
        self.message_user(
            request,
            ngettext("Archived %d department.", "Archived %d departments.", archived) % archived,
        )

    def _move_node(self, request):
        """Move a dragged department through department_move; refuse bad moves politely."""
        position = request.POST.get("position")
        if position not in ADMIN_POSITIONS:
            self.message_user(request, gettext("Unknown move."), level=messages.ERROR)
            return HttpResponse("FAIL, unknown instruction.")
        queryset = self.get_queryset(request)
        try:
            cut_item = queryset.get(pk=request.POST.get("cut_item"))
            pasted_on = queryset.get(pk=request.POST.get("pasted_on"))
        except (Department.DoesNotExist, TypeError, ValueError):
            self.message_user(
                request, gettext("Those departments no longer exist."), level=messages.ERROR
            )
            return HttpResponse("FAIL, invalid objects.")
        if not self.has_change_permission(request, cut_item):
            self.message_user(request, gettext("No permission."), level=messages.ERROR)
            return HttpResponse("FAIL, no permission.")
        try:
            with transaction.atomic():
                department_move(department=cut_item, target=pasted_on, position=position)
        except (ValidationError, InvalidMove) as error:
            text = " ".join(getattr(error, "messages", None) or [str(error)])
            self.message_user(request, text, level=messages.ERROR)
            return HttpResponse("FAIL, invalid move.")
        self.log_change(
            request,
            cut_item,
            gettext("Moved to %(position)s of “%(target)s”.")
            % {"position": position, "target": pasted_on.name},
        )
        self.message_user(request, gettext("%s has been moved.") % cut_item.name)
        return HttpResponse("OK, moved.")
