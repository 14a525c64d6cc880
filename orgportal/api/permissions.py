"""Who may read and write the organisation through the API."""

from django.conf import settings
from rest_framework import permissions

WRITE_ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}
VIEW_EVERYTHING = ("departments.view_department", "roles.view_role", "roles.view_duty")


def handles_method(view, method):
    """Return whether ``view`` has a handler for ``method``."""
    name = method.lower()
    return name in view.http_method_names and hasattr(view, name)


class OrganisationPermission(permissions.BasePermission):
    """Let signed-in users read and users with the model permission write.

    Anyone may read when ORGPORTAL_PUBLIC_READ is on. A view may name the model permissions
    its unsafe methods need in ``required_model_permissions`` (a move needs ``change``).
    A method the view does not handle passes, so that the client learns 405, not 403.
    """

    def has_permission(self, request, view):
        if not handles_method(view, request.method):
            return True
        if request.method in permissions.SAFE_METHODS:
            return settings.ORGPORTAL_PUBLIC_READ or request.user.is_authenticated
        if not request.user.is_authenticated:
            return False
        opts = view.get_queryset().model._meta
        actions = getattr(view, "required_model_permissions", None) or [
            WRITE_ACTIONS[request.method]
        ]
        return request.user.has_perms(
            [f"{opts.app_label}.{action}_{opts.model_name}" for action in actions]
        )


class CanViewWholeOrganisation(permissions.BasePermission):
    """Let through users who may view every department, role and duty."""

    def has_permission(self, request, view):
        if not handles_method(view, request.method):
            return True
        return request.user.is_authenticated and request.user.has_perms(VIEW_EVERYTHING)
