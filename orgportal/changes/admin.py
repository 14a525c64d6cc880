"""The history in the admin (orgportal.changes): a reason on the change form, and the versions
of an object, each with a restore button."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orgportal.changes.context import MAX_REASON, change_context
from orgportal.changes.entries import change_entries
from orgportal.changes.models import Change
from orgportal.changes.restore import object_restore

VERSIONS_SHOWN = 100
REASON_FIELD = "change_reason"


class ChangeReasonAdminMixin:
    """An optional "reason for the change" on the add and change forms, kept as the change
    reason of every record the save writes (the object's and its inlines')."""

    # No heading: the field's label says what it is.
    reason_fieldset = (None, {"fields": (REASON_FIELD,), "classes": ("change-reason",)})

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        field = forms.CharField(
            label=_("Reason for the change"),
            required=False,
            max_length=MAX_REASON,
            help_text=_("Optional: kept with this change in the history (2026 Q3 reorganisation)."),
            widget=forms.TextInput(attrs={"size": 60}),
        )
        self.form = type(self.form.__name__, (self.form,), {REASON_FIELD: field})

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if REASON_FIELD not in flatten_fieldsets(fieldsets):
            fieldsets.append(self.reason_fieldset)
        return fieldsets

    def _reason(self, form):
        return (getattr(form, "cleaned_data", {}).get(REASON_FIELD) or "").strip()

    def save_model(self, request, obj, form, change):
        with change_context(reason=self._reason(form)):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with change_context(reason=self._reason(form)):
            super().save_related(request, form, formsets, change)


class VersionsAdminMixin(ChangeReasonAdminMixin):
    """Add <pk>/versions/ (every recorded version) and restoring one of them; the change form
    takes a reason (ChangeReasonAdminMixin)."""

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "<path:object_id>/versions/",
                self.admin_site.admin_view(self.versions_view),
                name=f"{name}_versions",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        opts = self.model._meta
        extra_context = {
            **(extra_context or {}),
            "versions_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_versions", args=[object_id]
            ),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def versions_view(self, request, object_id):
        obj = get_object_or_404(self.model._base_manager, pk=object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
            try:
                object_restore(
                    model=self.model, history_id=int(request.POST["version"]), user=request.user
                )
            except (ValidationError, ValueError, KeyError) as error:
                reasons = getattr(error, "messages", [gettext("Choose a version.")])
                self.message_user(
                    request,
                    gettext("The restore was refused: %s") % " ".join(reasons),
                    messages.ERROR,
                )
            else:
                self.log_change(request, obj, gettext("Restored an earlier version."))
                self.message_user(request, gettext("Restored."), messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        label = self.model._meta.label_lower
        changes = list(
            Change.objects.filter(model=label, object_id=obj.pk)
            .order_by("-id")
            .values("seq", "model", "history_id", "kinds")[:VERSIONS_SHOWN]
        )
        versions = [
            {"history_id": change["history_id"], "entry": entry}
            for change, entry in zip(changes, change_entries(changes), strict=True)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": gettext("Versions of %s") % obj,
            "versions": versions,
            "can_restore": self.has_change_permission(request, obj),
        }
        return TemplateResponse(request, "admin/orgportal/versions.html", context)
