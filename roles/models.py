"""Roles belong to departments; duties belong to roles."""

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from departments.locking import RowLockMixin
from departments.models import Department, archived_subtree_q, subtree_q
from orgportal.translated import TranslatedModel

# The largest integer every supported database stores in a positive integer column.
MAX_INTEGER = 2_147_483_647


def next_sort_order(queryset):
    """Return the sort order that puts a new row after the rows of ``queryset``.

    At the largest storable value rows share it, and their ids keep them in order.
    """
    last = queryset.aggregate(last=Max("sort_order"))["last"]
    return 0 if last is None else min(last + 1, MAX_INTEGER)


class RoleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def reporting_to(self, role_pk):
        """Return the roles that report to the role ``role_pk``, directly or through others.

        One recursive query (SQLite and PostgreSQL both have WITH RECURSIVE); UNION rather
        than UNION ALL ends it even if the stored lines held a cycle.
        """
        quote = connections[self.db].ops.quote_name
        table = quote(self.model._meta.db_table)
        pk = quote(self.model._meta.pk.column)
        parent = quote(self.model._meta.get_field("reports_to").column)
        below = RawSQL(
            f"WITH RECURSIVE below(id) AS ("
            f"SELECT {pk} FROM {table} WHERE {parent} = %s "
            f"UNION SELECT r.{pk} FROM {table} r JOIN below b ON r.{parent} = b.id"
            f") SELECT id FROM below",
            [role_pk],
        )
        return self.filter(pk__in=below)

    def visible(self):
        """Return the active roles whose department is visible (see Department.visible)."""
        return self.filter(is_active=True).exclude(archived_subtree_q("department__"))

    def hidden(self):
        """Return the archived roles and the roles of hidden departments."""
        return self.filter(models.Q(is_active=False) | archived_subtree_q("department__"))

    def under(self, department, include_self=True):
        """Return the roles of ``department`` and of every department below it."""
        return self.filter(subtree_q(department, "department__", include_self=include_self))


class Role(RowLockMixin, TranslatedModel):
    code = models.SlugField(
        _("code"),
        max_length=64,
        unique=True,
        help_text=_("Stable ASCII identifier used in URLs, the API and organisation files."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="roles",
    )
    # title and summary are translated (roles/translation.py), as Department.name is.
    title = models.CharField(pgettext_lazy("role", "title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    headcount = models.PositiveIntegerField(
        _("planned seats"),
        null=True,
        blank=True,
        help_text=_("Planned number of seats for this role; empty while it is not known."),
    )
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
    )
    sort_order = models.PositiveIntegerField(_("order in the department"), default=0)
    is_active = models.BooleanField(
        pgettext_lazy("archiving", "active"),
        default=True,
        help_text=_("Archived roles are hidden from staff."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RoleQuerySet.as_manager()

    locked_references = ("department", "reports_to")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["department__tree_id", "department__lft", "sort_order", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("roles:detail", kwargs={"code": self.code})

    @property
    def title_with_department(self):
        """Return "title · department", which tells roles of the same title apart."""
        return f"{self.title} · {self.department.name}"

    def clean(self):
        super().clean()
        if self.reports_to_id is None:
            return
        if self.pk is not None and self.reports_to_id == self.pk:
            raise ValidationError({"reports_to": gettext("A role cannot report to itself.")})
        if self.pk is None:
            return
        # Walk up the reporting chain in one query per step; chains are short.
        seen = {self.pk}
        current = self.reports_to_id
        while current is not None:
            if current in seen:
                raise ValidationError(
                    {"reports_to": gettext("This reporting line would form a cycle.")}
                )
            seen.add(current)
            current = (
                Role._base_manager.filter(pk=current)
                .values_list("reports_to_id", flat=True)
                .first()
            )


class DutyQuerySet(models.QuerySet):
    def visible(self):
        """Return the duties of visible roles (see Role.visible)."""
        return self.filter(role__is_active=True).exclude(archived_subtree_q("role__department__"))

    def in_org_order(self):
        """Order duties as the organisation reads: by department in the tree, role, position."""
        return self.order_by(
            "role__department__tree_id",
            "role__department__lft",
            "role__sort_order",
            "role_id",
            "sort_order",
            "pk",
        )


class Duty(RowLockMixin, TranslatedModel):
    # area and text are translated (roles/translation.py).
    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="duties"
    )
    area = models.CharField(
        _("area"), max_length=100, blank=True, help_text=_("Optional group, such as SEO方向.")
    )
    text = models.TextField(pgettext_lazy("duty", "text"))
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    objects = DutyQuerySet.as_manager()

    locked_references = ("role",)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["role_id", "sort_order", "pk"]

    def __str__(self):
        return f"{self.area}: {self.text}" if self.area else self.text


class DepartmentRoleTotals(models.Model):
    """The totals of one department's own active roles and of its whole branch, kept by the
    database itself.

    Triggers on the roles' and the departments' tables (migrations 0006 and 0007) keep one
    row per department whose branch has active roles, on every write whatever makes it:
    saves, moves, archives, bulk writes, COPY, imports, restores from the history, raw SQL.
    A department's branch totals are then one look-up by its key
    (departments.tree.branch_role_totals()), whatever the size of the branch. Nothing in
    Python writes here, but for departments.tree.settle_branch_totals() after a bulk write
    of the tree on SQLite. ``total_problems()`` (roles.totals) compares the rows with a
    recount; a test keeps the triggers in place (SQLite drops a table's triggers when a
    migration rebuilds the table: re-create them).
    """

    department = models.OneToOneField(
        Department,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="role_totals",
    )
    roles = models.IntegerField(db_default=0)
    seats = models.BigIntegerField(db_default=0)
    seats_unknown = models.IntegerField(db_default=0)
    # The same of the department's whole branch (migration 0007): its own roles and, while
    # it is active, those of its active children's branches.
    branch_roles = models.IntegerField(db_default=0)
    branch_seats = models.BigIntegerField(db_default=0)
    branch_seats_unknown = models.IntegerField(db_default=0)

    class Meta:
        db_table = "roles_department_totals"
        default_permissions = ()

    def __str__(self):
        return f"{self.department_id}: {self.roles} roles, {self.seats} seats"
