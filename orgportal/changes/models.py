"""The change log: one row per history record, numbered in commit order for the change feed.

django-simple-history writes one table of historical records per model. The feed needs one
order across all of them that follows the order in which transactions commit, so every record
also adds a Change row. Its ``seq`` is what the feed's cursor counts:

- on PostgreSQL a deferred constraint trigger (migration 0002) gives each Change row its
  ``seq`` from a sequence at COMMIT, under an advisory lock that is held until the commit is
  visible. So sequence numbers become visible in commit order: a reader that has seen ``seq`` N
  can never later see a row below N appear, and rows of transactions still in flight have no
  ``seq`` at all (the feed skips them until they commit);
- on SQLite every transaction holds the database's write lock from its start (BEGIN
  IMMEDIATE), so numbering at insert is already commit order.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The advisory lock key that serialises the numbering at commit (see the module docstring).
FEED_LOCK_KEY = 0x6F72_6766  # "orgf"


class Change(models.Model):
    seq = models.BigIntegerField(_("commit sequence"), null=True, unique=True)
    model = models.CharField(_("model"), max_length=64)
    history_id = models.BigIntegerField(_("historical record"))
    object_id = models.BigIntegerField(_("object id"))
    history_date = models.DateTimeField(_("changed at"), db_index=True)
    # What the record changed, for the changes page's filters: added, renamed, moved, archived,
    # restored, duties, edited, deleted (comma-separated: a form may rename and move at once).
    kinds = models.CharField(_("kinds"), max_length=100, blank=True, default="")
    # The department and role the change belongs to (a duty's role and its department, a
    # team's Owner, a member's role), for the department filter and the archived rules.
    department_id = models.BigIntegerField(_("department"), null=True, blank=True, db_index=True)
    role_id = models.BigIntegerField(_("role"), null=True, blank=True)
    # The project team a team's or a member's change belongs to (the archived rules).
    team_id = models.BigIntegerField(_("project team"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["seq"]
        indexes = [models.Index(fields=["model", "history_id"], name="change_record")]

    def __str__(self):
        return f"{self.seq}: {self.model} {self.object_id}"


class HistoryBase(models.Model):
    """What every historical record of the portal adds to the library's own columns."""

    history_source = models.CharField(
        _("changed through"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("admin, api, web, shell, command:import_org, …"),
    )

    class Meta:
        abstract = True


class DepartmentHistoryBase(HistoryBase):
    """A department's record keeps its place among its siblings instead of the nested set."""

    sibling_position = models.PositiveIntegerField(
        _("position among its siblings"), null=True, blank=True
    )

    class Meta:
        abstract = True
