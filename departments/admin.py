"""Admin for HR: the department tree with drag-and-drop moves through the locked write path."""

import json

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from mptt.admin import MPTTModelAdmin, TreeRelatedFieldListFilter
from mptt.exceptions import InvalidMove

from departments.models import Department
from departments.resources import DepartmentResource
from departments.services import department_archive, department_move
from orgportal.changes.admin import VersionsAdminMixin
from orgportal.i18n import CONTENT_LANGUAGES, SOURCE_LANGUAGE, column, columns, content_language
from orgportal.orgfiles.spreadsheets import SpreadsheetAdminMixin
from orgportal.translated_admin import (
    MissingEnglishFilter,
    TranslatedAdminForm,
    language_fieldsets,
)

# Where the tree's script (static/js/admin-tree.js) may drop a department.
ADMIN_POSITIONS = ("first-child", "last-child", "left", "right")
# What a move did, for the history; "{target}" is the department it was dropped on.
MOVED = {
    "left": _("Moved before “{target}”."),
    "right": _("Moved after “{target}”."),
    "first-child": _("Moved in as the first sub-department of “{target}”."),
    "last-child": _("Moved in as the last sub-department of “{target}”."),
}
# What a drop will do, shown beside the pointer while dragging; "{name}" is the target.
DROP_HINTS = {
    "left": _("Move before “{name}”"),
    "right": _("Move after “{name}”"),
    "first-child": _("Make it the first sub-department of “{name}”"),
    "last-child": _("Make it the last sub-department of “{name}”"),
}


class DepartmentTreeFilter(TreeRelatedFieldListFilter):
    """django-mptt's filter by department subtree, indented by a class instead of a style
    attribute (static/css/admin.css), which the content security policy refuses."""

    DEEPEST = 8

    def field_choices(self, field, request, model_admin):
        return [
            (pk, label, mark_safe(f' class="tree-filter-level-{min(level, self.DEEPEST)}"'))
            for pk, label, level in self._choices_with_levels(field)
        ]

    def _choices_with_levels(self, field):
        choices = field.get_choices(include_blank=False)
        levels = dict(
            field.related_model._default_manager.filter(
                **{f"{self.rel_name}__in": [pk for pk, _label in choices]}
            ).values_list(self.rel_name, field.related_model._mptt_meta.level_attr)
        )
        return [(pk, label, levels[pk]) for pk, label in choices]


def move_change_message(position, target):
    """Return a LogEntry change message for a move, to be put into words when it is shown.

    It keeps the target's name in every language: ``target`` (simplified Chinese, as entries
    before translated names had it), ``target_en`` and ``target_zh_hant``.
    """
    names = {"target": target.name_zh_hans}
    for language in CONTENT_LANGUAGES:
        if language != SOURCE_LANGUAGE:
            names[column("target", language)] = getattr(target, column("name", language)) or ""
    return json.dumps([{"moved": {"position": position, **names}}], ensure_ascii=False)


def describe_change(entry):
    """Return the change message of a LogEntry in the reader's language, moves included.

    Django puts its own JSON messages into words when they are shown, in the reader's language;
    moves are stored the same way (see move_change_message).
    """
    try:
        parts = json.loads(entry.change_message)
        moves = [part["moved"] for part in parts if "moved" in part]
    except (TypeError, ValueError, KeyError):
        moves = []
    if not moves:
        return entry.get_change_message()
    language = content_language()
    key = "target" if language == SOURCE_LANGUAGE else column("target", language)
    return " ".join(
        str(MOVED[move["position"]]).format(target=move.get(key) or move["target"])
        for move in moves
        if move.get("position") in MOVED
    )


class HistoryEntry:
    """A LogEntry for the history page, whose change message reads in the reader's language."""

    def __init__(self, entry):
        self._entry = entry

    def __getattr__(self, name):
        return getattr(self._entry, name)

    def get_change_message(self):
        return describe_change(self._entry)


class ConcurrentChangeAdminMixin:
    """Answer a save or delete that a concurrent change defeated with a message, not a 500.

    The models refuse to write a row deleted meanwhile (DoesNotExist), to reference one
    (ValidationError) and to delete a department that gained sub-departments or roles
    (ProtectedError); the form was valid when it was checked, so the admin says what happened.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ObjectDoesNotExist:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ObjectDoesNotExist:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        except ProtectedError as error:
            self.message_user(request, error.args[0], messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


DEPARTMENT_TEXTS = ("name", "tagline", "positioning", "description")


@admin.register(Department)
class DepartmentAdmin(
    VersionsAdminMixin,
    SpreadsheetAdminMixin,
    ConcurrentChangeAdminMixin,
    TranslationAdmin,
    MPTTModelAdmin,
):
    """The tree as one table in tree order; static/js/admin-tree.js adds folding and dragging.

    Every language's texts are edited on the one page, a group of fields per language.

    Import and export as .xlsx and .csv (departments/resources.py).
    """

    resource_classes = [DepartmentResource]
    change_list_template = "admin/departments/department/change_list.html"
    form = TranslatedAdminForm
    list_display = ("tree_handle", "tree_name", "code", "name_en", "tagline", "is_active")
    list_display_links = ("tree_name",)
    list_filter = ("is_active", MissingEnglishFilter)
    list_per_page = 2000
    search_fields = ("code", *columns(*DEPARTMENT_TEXTS))
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "parent", "is_active")}),
        *language_fieldsets(DEPARTMENT_TEXTS),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )
    actions = ["archive_selected"]

    @admin.display(description="")
    def tree_handle(self, department):
        return format_html(
            '<span class="tree-handle" title="{}" aria-hidden="true"></span>',
            gettext("Drag to move"),
        )

    @admin.display(description=_("department name"))
    def tree_name(self, department):
        """Return the name, indented by its depth, with the data the tree's script reads."""
        # Spacers rather than a style attribute, which the content security policy refuses.
        indent = mark_safe('<span class="tree-indent"></span>' * department.level)
        has_children = department.rght - department.lft > 1
        return format_html(
            '{}<button type="button" class="tree-toggle" aria-expanded="true" hidden{}>'
            '<span class="visually-hidden">{}</span></button>'
            '<span class="tree-node" data-pk="{}" data-parent="{}" data-level="{}">{}</span>',
            indent,
            "" if has_children else mark_safe(' disabled aria-hidden="true"'),
            gettext("Show or hide the departments below"),
            department.pk,
            department.parent_id or "",
            department.level,
            department.name,
        )

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and request.POST.get("cmd") == "move_node":
            return self._move_node(request)
        # Dragging places a row between its neighbours, so it is offered only where the rows
        # are the whole tree in its order: not in a search, a filter or another sort order.
        extra_context = {
            **(extra_context or {}),
            "tree_admin": {
                "draggable": not request.GET and self.has_change_permission(request),
                "hints": {position: str(hint) for position, hint in DROP_HINTS.items()},
                "failed": gettext("The move could not be sent; reload the page and try again."),
            },
        }
        return super().changelist_view(request, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        page = getattr(response, "context_data", {}).get("action_list")
        if page:
            page.object_list = [HistoryEntry(entry) for entry in page.object_list]
        return response

    @admin.action(
        permissions=["change"],
        description=_("Archive the selected departments and their sub-departments"),
    )
    def archive_selected(self, request, queryset):
        archived = 0
        for department in queryset:
            try:
                archived += department_archive(department=department)
            except Department.DoesNotExist:
                continue  # deleted meanwhile: nothing left to archive
            self.log_change(request, department, gettext("Archived."))
        self.message_user(
            request,
            ngettext("Archived %d department.", "Archived %d departments.", archived) % archived,
        )

    def _move_node(self, request):
        """Move a dragged department through department_move; refuse bad moves politely.

        A drop where the department stands already changes nothing and records nothing.
        """
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
        # Checked again under the tree lock by the move itself, which then writes nothing.
        if cut_item.stands_at(pasted_on, position):
            self.message_user(
                request,
                gettext("“%(department)s” already stands there; nothing was changed.")
                % {"department": cut_item.name},
                level=messages.INFO,
            )
            return HttpResponse("OK, unchanged.")
        try:
            with transaction.atomic():
                department_move(department=cut_item, target=pasted_on, position=position)
        except (ValidationError, InvalidMove) as error:
            text = " ".join(getattr(error, "messages", None) or [str(error)])
            self.message_user(request, text, level=messages.ERROR)
            return HttpResponse("FAIL, invalid move.")
        except Department.DoesNotExist:
            self.message_user(
                request, gettext("Those departments no longer exist."), level=messages.ERROR
            )
            return HttpResponse("FAIL, invalid objects.")
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=[cut_item],
            action_flag=CHANGE,
            change_message=move_change_message(position, pasted_on),
            single_object=True,
        )
        self.message_user(
            request,
            gettext("“%(department)s”: %(change)s")
            % {
                "department": cut_item.name,
                "change": str(MOVED[position]).format(target=pasted_on.name),
            },
        )
        return HttpResponse("OK, moved.")
