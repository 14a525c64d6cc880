"""The orgportal app's models: the organisation version, the change log (orgportal.changes)
and, registered at start-up, the historical records of every model HR edit
(orgportal.changes.records)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from orgportal.changes.models import Change

__all__ = ["Change", "OrganisationVersion"]


class OrganisationVersion(models.Model):
    """The one row that says which version of the organisation the database holds.

    Every process reads it from the database, so cached entries and ETags agree across web
    workers and management commands without a shared cache (see orgportal/cache.py). On
    PostgreSQL the number itself comes from a sequence, which writers move on without
    waiting for each other; this row then keeps the time of the last committed change.
    """

    version = models.BigIntegerField(_("version"))
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("organisation version")
        verbose_name_plural = _("organisation versions")
        ordering = ["pk"]

    def __str__(self):
        return str(self.version)
