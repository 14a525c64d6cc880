"""Who may read the portal's pages, and who may see archived items and edit links."""

from django.conf import settings
from django.contrib.auth.mixins import AccessMixin
from django.db import transaction


def can_change(user, model) -> bool:
    """Return whether ``user`` holds the change permission on ``model``."""
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


class PortalReadMixin(AccessMixin):
    """Let logged-in users read a page, and anyone when ORGPORTAL_PUBLIC_READ is on.

    ``archived_model`` names the model whose change permission lets a user ask for archived
    items with ``?archived=1``; the view then has ``self.show_archived``.
    """

    archived_model = None

    def dispatch(self, request, *args, **kwargs):
        if not (settings.ORGPORTAL_PUBLIC_READ or request.user.is_authenticated):
            return self.handle_no_permission()
        self.show_archived = (
            self.archived_model is not None
            and request.GET.get("archived") == "1"
            and can_change(request.user, self.archived_model)
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_archived"] = self.show_archived
        # Links between pages keep HR in the archived view once they asked for it.
        context["archived_query"] = "?archived=1" if self.show_archived else ""
        context["can_see_archived"] = self.archived_model is not None and can_change(
            self.request.user, self.archived_model
        )
        return context


class ReadOutsideTransactionMixin:
    """Serve a page that only reads without ATOMIC_REQUESTS' transaction.

    As the API's reads (orgportal.api.viewsets.ReadsOutsideTransactionMixin): at PostgreSQL's
    READ COMMITTED every statement sees what was committed when it started, inside a
    transaction or not, so the transaction only added BEGIN and COMMIT to every page view. On
    SQLite, whose transactions take the write lock at BEGIN (settings: IMMEDIATE), it also
    kept every page view from running beside another. For views that answer GET and HEAD
    only and write nothing.
    """

    @classmethod
    def as_view(cls, *args, **initkwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **initkwargs))
