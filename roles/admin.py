"""Admin for HR: roles with their duties inline and in order, filtered by the department tree."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline
from mptt.forms import TreeNodeChoiceField

from departments.admin import ConcurrentChangeAdminMixin, DepartmentTreeFilter
from orgportal.changes.admin import VersionsAdminMixin
from orgportal.i18n import columns
from orgportal.orgfiles.spreadsheets import SpreadsheetAdminMixin
from orgportal.translated import missing_english_q
from orgportal.translated_admin import (
    MissingEnglishFilter,
    TranslatedAdminForm,
    language_fieldsets,
)
from roles.models import Duty, Role, next_sort_order
from roles.resources import DutyResource, RoleResource

# The button of a duty's row that moves it one place: "<form prefix>:up" or "…:down".
MOVE_DUTY = "_move_duty"
# What HR search for in a picker of roles: titles (in every language) and codes, not duties.
ROLE_PICKER_SEARCH = (*columns("title"), "code")


class DutyOrderWidget(forms.Widget):
    """A duty's place in its role: a hidden number, a drag handle and up and down buttons.

    Without JavaScript the buttons submit the form, which saves it and moves the duty one
    place; static/js/admin-order.js makes them, and dragging the handle, move the row at once.
    """

    def render(self, name, value, attrs=None, renderer=None):
        prefix = name.rsplit("-", 1)[0]
        return format_html(
            '<span class="duty-order" data-duty-order>'
            '<input type="hidden" name="{name}" value="{value}" data-order-input>'
            '<span class="duty-order__handle" title="{drag}" aria-hidden="true" hidden></span>'
            '<button type="submit" class="duty-order__move" name="{button}" value="{prefix}:up"'
            ' data-move="up" title="{up}" aria-label="{up}">↑</button>'
            '<button type="submit" class="duty-order__move" name="{button}" value="{prefix}:down"'
            ' data-move="down" title="{down}" aria-label="{down}">↓</button>'
            "</span>",
            name=name,
            value="" if value is None else value,
            drag=gettext("Drag to reorder"),
            button=MOVE_DUTY,
            prefix=prefix,
            up=gettext("Move up"),
            down=gettext("Move down"),
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class DutyInlineForm(TranslatedAdminForm):
    sort_order = forms.IntegerField(
        label=_("Order"), required=False, min_value=0, widget=DutyOrderWidget
    )

    class Meta:
        model = Duty
        # Each language's area above its text, the languages side by side.
        fields = ("sort_order", *columns("area", "text"))
        widgets = {
            name: forms.Textarea(attrs={"rows": 3, "cols": 28}) for name in columns("text")
        } | {name: forms.TextInput(attrs={"size": 14}) for name in columns("area")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A new duty has no place yet: it goes after the others (see order_duties).
            self.initial["sort_order"] = None

    def has_changed(self):
        # The script numbers every row, blank new ones too; a number alone adds no duty.
        if self.instance.pk is None:
            return any(name != "sort_order" for name in self.changed_data)
        return super().has_changed()


def order_duties(formset, move=""):
    """Number the duties of a role's formset 0, 1, 2… in the order the form asks for.

    Duties keep the order of their submitted numbers; new duties without one go last, in the
    order of their rows. ``move`` ("<form prefix>:up" or "…:down") then moves one duty one
    place. Return the forms of the duties that will exist, in their new order.
    """
    deleted = set(map(id, formset.deleted_forms))
    kept = [
        (index, form)
        for index, form in enumerate(formset.forms)
        if id(form) not in deleted and (form.instance.pk is not None or form.has_changed())
    ]

    def wanted(item):
        index, form = item
        number = form.cleaned_data.get("sort_order")
        return (number is None, number or 0, index)

    ordered = [form for _index, form in sorted(kept, key=wanted)]
    prefix, _sep, direction = move.partition(":")
    for position, form in enumerate(ordered):
        if form.prefix == prefix:
            other = position - 1 if direction == "up" else position + 1
            if direction in ("up", "down") and 0 <= other < len(ordered):
                ordered[position], ordered[other] = ordered[other], ordered[position]
            break
    for position, form in enumerate(ordered):
        form.instance.sort_order = position
    return ordered


class DutyInline(TranslationTabularInline):
    model = Duty
    form = DutyInlineForm
    fields = ("sort_order", *columns("area", "text"))
    ordering = ("sort_order", "pk")
    extra = 1


class ReportsToSelect(AutocompleteSelect):
    """The "reports to" picker; it tells the search which role is being edited."""

    role_pk = None

    def get_url(self):
        url = super().get_url()
        return f"{url}?{urlencode({'role': self.role_pk})}" if self.role_pk else url


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title_with_department


class RoleMissingEnglishFilter(MissingEnglishFilter):
    """A role lacks English when its title or summary does, or one of its duties."""

    def missing_q(self, model):
        duties = Duty.objects.filter(missing_english_q(Duty)).values("role_id")
        return missing_english_q(Role) | Q(pk__in=duties)


@admin.register(Role)
class RoleAdmin(
    VersionsAdminMixin, SpreadsheetAdminMixin, ConcurrentChangeAdminMixin, TranslationAdmin
):
    resource_classes = [RoleResource]
    form = TranslatedAdminForm
    list_display = ("title_zh_hans", "title_en", "code", "department", "headcount", "is_active")
    list_filter = (
        ("department", DepartmentTreeFilter),
        "is_active",
        RoleMissingEnglishFilter,
    )
    list_select_related = ("department",)
    search_fields = (
        "code",
        *columns("title", "summary"),
        *(f"duties__{name}" for name in columns("text", "area")),
    )
    autocomplete_fields = ("reports_to",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [DutyInline]
    actions = ["archive_selected"]
    # The first submit button of a form is the one Enter presses: Save, not a duty's arrow.
    save_on_top = True
    fieldsets = (
        (None, {"fields": ("code", "department", "is_active")}),
        *language_fieldsets(("title", "summary")),
        (
            _("Reporting line and seats"),
            {"fields": ("reports_to", "headcount", "sort_order")},
        ),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )

    class Media:
        js = ["js/admin-order.js"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            # Show the department choices indented as a tree.
            kwargs.update(form_class=TreeNodeChoiceField, level_indicator="—")
        if db_field.name == "reports_to":
            kwargs.update(
                form_class=RoleChoiceField,
                queryset=Role.objects.select_related("department"),
                widget=ReportsToSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        picker = form.base_fields.get("reports_to")
        if obj is not None and picker is not None:
            # The field is wrapped in the admin's add/change links.
            getattr(picker.widget, "widget", picker.widget).role_pk = obj.pk
        return form

    def get_search_fields(self, request):
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            return ROLE_PICKER_SEARCH
        return super().get_search_fields(request)

    def autocomplete_queryset(self, request, queryset, source_field):
        """Offer no role that would close a reporting cycle: itself or one that reports to it."""
        queryset = queryset.select_related("department")
        if source_field.model is Role and source_field.name == "reports_to":
            role_pk = request.GET.get("role", "")
            if role_pk.isdigit():
                queryset = queryset.exclude(pk=role_pk).exclude(
                    pk__in=Role.objects.reporting_to(int(role_pk)).values("pk")
                )
        return queryset

    def autocomplete_label(self, role):
        return role.title_with_department

    def save_formset(self, request, form, formset, change):
        if formset.model is Duty:
            ordered = order_duties(formset, request.POST.get(MOVE_DUTY, ""))
            super().save_formset(request, form, formset, change)
            # The formset saves only rows whose fields changed; a row may have moved all the same.
            for duty_form in ordered:
                duty = duty_form.instance
                moved = duty_form.initial.get("sort_order") != duty.sort_order
                if duty.pk and moved and not duty_form.has_changed():
                    duty.save(update_fields=["sort_order"])
            return
        super().save_formset(request, form, formset, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self._after_duty_move(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self._after_duty_move(request, obj) or super().response_change(request, obj)

    def _after_duty_move(self, request, obj):
        """Come back to the role's duties after an up or down button saved the form."""
        if MOVE_DUTY not in request.POST:
            return None
        if request.POST[MOVE_DUTY].endswith(":up"):
            self.message_user(request, gettext("Saved, and moved the duty up."), messages.SUCCESS)
        else:
            self.message_user(request, gettext("Saved, and moved the duty down."), messages.SUCCESS)
        url = reverse("admin:roles_role_change", args=[obj.pk], current_app=self.admin_site.name)
        return HttpResponseRedirect(f"{url}#duties-group")

    @admin.action(permissions=["change"], description=_("Archive the selected roles"))
    def archive_selected(self, request, queryset):
        roles = []
        for role in queryset.filter(is_active=True):
            role.is_active = False
            try:
                role.save(update_fields=["is_active", "updated_at"])
            except Role.DoesNotExist:
                continue  # deleted meanwhile: nothing left to archive
            roles.append(role)
            self.log_change(request, role, gettext("Archived."))
        self.message_user(
            request,
            ngettext("Archived %d role.", "Archived %d roles.", len(roles)) % len(roles),
        )


@admin.register(Duty)
class DutyAdmin(
    VersionsAdminMixin, SpreadsheetAdminMixin, ConcurrentChangeAdminMixin, TranslationAdmin
):
    resource_classes = [DutyResource]
    form = TranslatedAdminForm
    list_display = ("text", "area", "role", "sort_order")
    list_filter = (("role__department", DepartmentTreeFilter), "area_zh_hans", MissingEnglishFilter)
    list_select_related = ("role__department",)
    search_fields = (*columns("text", "area"), *(f"role__{name}" for name in columns("title")))
    autocomplete_fields = ("role",)
    # A duty's place is set by dragging it on its role's page, never typed.
    fieldsets = ((None, {"fields": ("role",)}), *language_fieldsets(("area", "text")))

    def save_model(self, request, obj, form, change):
        if not change or "role" in form.changed_data:
            obj.sort_order = next_sort_order(Duty.objects.filter(role=obj.role))
        super().save_model(request, obj, form, change)
