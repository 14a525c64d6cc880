"""The Department tree: a nested set (django-mptt) whose every write takes the tree lock."""

from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import connections, models, router
from django.db.models import Exists, OuterRef
from django.db.models.deletion import ProtectedError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from mptt.exceptions import InvalidMove
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet

from departments.locking import gone, in_tree_write, lock_row, tree_write
from departments.signals import departments_updated
from orgportal.translated import TranslatedModel

TREE_FIELDS = ("lft", "rght", "tree_id", "level")
POSITIONS = ("first-child", "last-child", "left", "right")


INTO_OWN_SUBTREE = _("A department cannot be moved into itself or one of its own sub-departments.")
ONE_ROOT = _("The organisation has one root; choose a parent department.")
UNDER_ARCHIVED = _(
    "“%(archived)s” is archived, and nothing active may stand under an archived department. "
    "Restore “%(archived)s” first, or archive this department."
)
# Codes that would shadow an API route such as /api/v1/departments/tree/.
RESERVED_CODES = frozenset({"tree"})


def validate_not_reserved(value):
    if value in RESERVED_CODES:
        raise ValidationError(
            _("“%(code)s” is reserved; choose another code."), params={"code": value}
        )


def subtree_q(department, prefix="", include_self=True):
    """Return a Q for rows whose department (reached through ``prefix``) is in the subtree."""
    low, high = ("lft__gte", "rght__lte") if include_self else ("lft__gt", "rght__lt")
    return models.Q(
        **{
            f"{prefix}tree_id": department.tree_id,
            f"{prefix}{low}": department.lft,
            f"{prefix}{high}": department.rght,
        }
    )


def archived_subtree_q(prefix=""):
    """Return a Q for rows whose department (reached through ``prefix``) is archived or lies
    below an archived department: what those who may not see archived items never see."""
    outer = SimpleNamespace(
        tree_id=OuterRef(f"{prefix}tree_id"),
        lft=OuterRef(f"{prefix}lft"),
        rght=OuterRef(f"{prefix}rght"),
    )
    archived = Department.objects.ancestors_of(outer, include_self=True).filter(is_active=False)
    return models.Q(Exists(archived))


class DepartmentQuerySet(TreeQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def visible(self):
        """Return the departments that are active and have no archived department above them."""
        return self.exclude(archived_subtree_q())

    def hidden(self):
        """Return the archived departments and every department below one."""
        return self.filter(archived_subtree_q())

    def descendants_of(self, department, include_self=False):
        return self.filter(subtree_q(department, include_self=include_self))

    def not_descendants_of(self, department, include_self=False):
        return self.exclude(subtree_q(department, include_self=include_self))

    def ancestors_of(self, department, include_self=False):
        if include_self:
            bounds = {"lft__lte": department.lft, "rght__gte": department.rght}
        else:
            bounds = {"lft__lt": department.lft, "rght__gt": department.rght}
        return self.filter(tree_id=department.tree_id, **bounds)

    def delete(self):
        """Delete each department through the locked write path, deepest first."""
        deleted = 0
        using = self.db
        with tree_write(using):
            for department in self.order_by("-level", "-lft"):
                department.delete()
                deleted += 1
        return deleted, {self.model._meta.label: deleted}

    delete.alters_data = True


class DepartmentManager(TreeManager.from_queryset(DepartmentQuerySet)):
    """django-mptt's manager, with its public tree writes under the tree lock."""

    def _locked(self, method, *args, **kwargs):
        # Department.save() and move_to() call these while they hold the lock already.
        if in_tree_write():
            return method(*args, **kwargs)
        with tree_write(self.db):
            return method(*args, **kwargs)

    def move_node(self, node, target, position="last-child"):
        return self._locked(super().move_node, node, target, position)

    def insert_node(self, node, target, *args, **kwargs):
        return self._locked(super().insert_node, node, target, *args, **kwargs)

    def rebuild(self, *args, **kwargs):
        return self._locked(super().rebuild, *args, **kwargs)

    def partial_rebuild(self, *args, **kwargs):
        return self._locked(super().partial_rebuild, *args, **kwargs)

    def _move_child_within_tree(self, node, target, position):
        """Move ``node`` relative to ``target`` in its tree: django-mptt's move, one UPDATE.

        django-mptt's statement rewrites every row of the tree (``WHERE tree_id = …``), so a
        move in a tree of 10,000 departments writes 10,000 rows. The same statement limited
        to the rows whose edges lie between the node's old and new place writes only those,
        and leaves the same tree. Its callers hold the tree lock (move_node).
        """
        if position not in POSITIONS:
            raise ValueError(f"An invalid position was given: {position}.")
        if node.pk == target.pk:
            raise InvalidMove(gettext("A node may not be moved relative to itself."))
        left, right, level = node.lft, node.rght, node.level
        width = right - left + 1
        if left < target.lft < right:
            raise InvalidMove(gettext("A node may not be moved below itself."))
        if position.endswith("child"):
            edge = target.rght if position == "last-child" else target.lft + 1
            level_change = level - target.level - 1
            parent = target
        else:
            edge = target.lft if position == "left" else target.rght + 1
            level_change = level - target.level
            parent = target.parent
        # The node's new left edge, counted after it left its old place.
        new_left = edge - width if edge > right else edge
        new_right = new_left + width - 1
        low, high = min(left, new_left), max(right, new_right)
        shift = new_left - left
        gap = -width if shift > 0 else width
        connection = connections[node._state.db or self.db]
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = (
            f"UPDATE {table} SET "
            "level = CASE WHEN lft BETWEEN %s AND %s THEN level - %s ELSE level END, "
            "lft = CASE WHEN lft BETWEEN %s AND %s THEN lft + %s "
            "WHEN lft BETWEEN %s AND %s THEN lft + %s ELSE lft END, "
            "rght = CASE WHEN rght BETWEEN %s AND %s THEN rght + %s "
            "WHEN rght BETWEEN %s AND %s THEN rght + %s ELSE rght END "
            "WHERE tree_id = %s AND (lft BETWEEN %s AND %s OR rght BETWEEN %s AND %s)"
        )
        params = [
            *(left, right, level_change),
            *(left, right, shift, low, high, gap),
            *(left, right, shift, low, high, gap),
            *(node.tree_id, low, high, low, high),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        node.lft, node.rght, node.level = new_left, new_right, level - level_change
        node.parent = parent
        node._mptt_cached_fields["parent"] = parent.pk


class Department(MPTTModel, TranslatedModel):
    code = models.SlugField(
        _("code"),
        max_length=64,
        unique=True,
        validators=[validate_slug, validate_not_reserved],
        help_text=_("Stable ASCII identifier used in URLs, the API and organisation files."),
    )
    # name, tagline, positioning and description are translated (departments/translation.py):
    # name_zh_hans, name_en, name_zh_hant and so on hold each language, and ``name`` reads the
    # active language with fallback to simplified Chinese. Contexts keep these labels apart from
    # Django's own "name", "title" and "active", which the catalogs would otherwise change.
    name = models.CharField(pgettext_lazy("department", "name"), max_length=200)
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    positioning = models.TextField(_("positioning"), blank=True)
    description = models.TextField(_("description"), blank=True)
    parent = TreeForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(
        pgettext_lazy("archiving", "active"),
        default=True,
        help_text=_("Archived departments are hidden from staff."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DepartmentManager()

    _moving = False

    class MPTTMeta:
        # Sibling order is the order HR sets by dragging, so no order_insertion_by.
        order_insertion_by = []

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["tree_id", "lft"]
        indexes = [
            # The ranges of archived departments, which archived_subtree_q() looks up for
            # every row it hides or shows: a few rows, so the lookup stays small.
            models.Index(
                fields=["tree_id", "lft", "rght"],
                condition=models.Q(is_active=False),
                name="department_archived_range",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Insert or move the department under the tree lock, from fresh tree fields."""
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with tree_write(using):
            # move_to() has refreshed and checked both nodes under this same lock, and
            # django-mptt's move writes the new parent only in this save().
            archiving = False
            if not self._moving:
                parent, stored = self._refresh_tree_state(using)
                self._check_tree_position(parent, using=using)
                if self.is_active:
                    # Naming what the user changed: a new place, or a restore where it stands.
                    moved = stored is None or stored["parent_id"] != self.parent_id
                    self._check_not_under_archived(
                        parent, field="parent" if moved else "is_active", using=using
                    )
                archiving = stored is not None and stored["is_active"] and not self.is_active
            super().save(*args, **kwargs)
            if archiving:
                self.archive_descendants(using=using)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        """Delete the department under the tree lock, unless something still depends on it."""
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with tree_write(using):
            # Locked before the count, so that no role can be added to it meanwhile.
            if not lock_row(type(self), self.pk, mode="delete", using=using):
                raise gone(self)
            blockers = self.delete_blockers(using=using)
            if blockers:
                raise ProtectedError(self.delete_refusal_message(blockers), set())
            return super().delete(*args, **kwargs)

    delete.alters_data = True

    def get_absolute_url(self):
        return reverse("departments:detail", kwargs={"code": self.code})

    def move_to(self, target, position="first-child"):
        """Move the department relative to ``target`` under the tree lock.

        Return whether it moved: a move to where the department stands already writes nothing.
        """
        using = self._state.db or router.db_for_write(type(self), instance=self)
        with tree_write(using):
            if position not in POSITIONS:
                raise ValidationError(
                    {"position": gettext("Position must be one of: %s.") % ", ".join(POSITIONS)}
                )
            if target is None:
                raise ValidationError({"target": gettext("Choose a department to move to.")})
            self._refresh_tree_state(using)
            try:
                target.refresh_from_db(using=using, fields=[*TREE_FIELDS, "parent"])
            except type(self).DoesNotExist:
                raise ValidationError(
                    {"target": gettext("The target department no longer exists.")}
                ) from None
            new_parent = target if position.endswith("child") else target.parent
            if new_parent is None:
                raise ValidationError(
                    {
                        "target": gettext(
                            "The organisation has one root; nothing can stand beside it."
                        )
                    }
                )
            if self.stands_at(target, position):
                return False
            self._check_not_into_own_subtree(target, field="target")
            if self.is_active:
                self._check_not_under_archived(new_parent, field="target", using=using)
            self._moving = True
            try:
                super().move_to(target, position)
            finally:
                self._moving = False
            return True

    move_to.alters_data = True

    def stands_at(self, target, position):
        """Return whether the department already stands at ``position`` relative to ``target``.

        Reads the tree fields of both as they are in memory; move_to() refreshes them first.
        """
        if target.pk == self.pk:
            # Before or after itself; into itself is refused as a move into its own subtree.
            return position in ("left", "right")
        if position.endswith("child"):
            if self.parent_id != target.pk:
                return False
            if position == "first-child":
                return self.lft == target.lft + 1
            return self.rght + 1 == target.rght
        if self.parent_id != target.parent_id or self.tree_id != target.tree_id:
            return False
        if position == "left":
            return self.rght + 1 == target.lft
        return target.rght + 1 == self.lft

    def archive_descendants(self, using=None):
        """Archive every department below this one; return how many were active.

        Archiving a department archives its subtree, whichever way it is archived (admin form,
        API, import), so that nothing below an archived department stays visible.
        """
        using = using or self._state.db or router.db_for_write(type(self))
        manager = type(self)._base_manager.using(using)
        pks = list(
            manager.filter(
                tree_id=self.tree_id, lft__gt=self.lft, rght__lt=self.rght, is_active=True
            ).values_list("pk", flat=True)
        )
        if not pks:
            return 0
        # is_active is not a tree field, so a queryset update is safe under the lock.
        archived = manager.filter(pk__in=pks).update(is_active=False, updated_at=timezone.now())
        departments_updated.send(sender=type(self), pks=pks, using=using)
        return archived

    def delete_blockers(self, using=None):
        """Return (verbose name, count) for every protected relation that still holds rows."""
        blockers = []
        for relation in self._meta.related_objects:
            if relation.on_delete is not models.PROTECT:
                continue
            manager = relation.related_model._base_manager.using(using or self._state.db)
            count = manager.filter(**{relation.field.name: self}).count()
            if count:
                blockers.append((relation.related_model._meta, count))
        return blockers

    def delete_refusal_message(self, blockers):
        parts = [
            ngettext("%(count)d %(name)s", "%(count)d %(plural)s", count)
            % {"count": count, "name": opts.verbose_name, "plural": opts.verbose_name_plural}
            for opts, count in blockers
        ]
        return gettext(
            "Department “%(department)s” cannot be deleted: it still has %(blockers)s. "
            "Move them elsewhere or archive the department instead."
        ) % {"department": self.name, "blockers": ", ".join(parts)}

    def _refresh_tree_state(self, using):
        """Re-read this node's tree fields and its parent from the database.

        django-mptt computes moves from the in-memory tree fields of the node and its parent,
        so a stale instance would corrupt the tree. A parent the caller did not change is taken
        from the database too, so a stale instance never undoes somebody else's move.
        Return the parent and the stored row (``parent_id``, ``is_active``), None for a new
        department. A department deleted meanwhile raises DoesNotExist rather than being
        written back with its old place in the tree.
        """
        stored = None
        if not self._state.adding and self.pk is not None:
            stored = (
                type(self)
                ._base_manager.using(using)
                .filter(pk=self.pk)
                .values("parent_id", "is_active", *TREE_FIELDS)
                .first()
            )
            if stored is None:
                raise gone(self)
            cached_parent_id = self._mptt_cached_fields.get("parent")
            if self.parent_id == cached_parent_id:
                self.parent_id = stored["parent_id"]
            self._mptt_cached_fields["parent"] = stored["parent_id"]
            for field in TREE_FIELDS:
                setattr(self, field, stored[field])
        if self.parent_id is None:
            return None, stored
        parent_field = self._meta.get_field("parent")
        # Refresh the caller's parent object in place, so that it stays current afterwards.
        parent = self.parent if parent_field.is_cached(self) else None
        if parent is None or parent.pk != self.parent_id:
            parent = type(self)._base_manager.using(using).filter(pk=self.parent_id).first()
        else:
            try:
                parent.refresh_from_db(using=using, fields=[*TREE_FIELDS, "is_active"])
            except type(self).DoesNotExist:
                parent = None
        if parent is None:
            raise ValidationError({"parent": gettext("The parent department does not exist.")})
        self.parent = parent
        return parent, stored

    def _check_tree_position(self, parent, using):
        if parent is None:
            other_roots = type(self)._base_manager.using(using).filter(parent__isnull=True)
            if self.pk is not None:
                other_roots = other_roots.exclude(pk=self.pk)
            if other_roots.exists():
                raise ValidationError({"parent": ONE_ROOT})
            return
        self._check_not_into_own_subtree(parent, field="parent")

    def _check_not_under_archived(self, parent, field, using=None):
        """Refuse to keep or put this active department under an archived one.

        The invariant of the write path: nothing active stands under an archived department.
        """
        if parent is None:
            return
        archived = (
            type(self)
            .objects.using(using or router.db_for_read(type(self)))
            .ancestors_of(parent, include_self=True)
            .filter(is_active=False)
            .order_by("-lft")
            .first()
        )
        if archived is not None:
            raise ValidationError(
                {field: UNDER_ARCHIVED % {"archived": archived.name}}, code="archived"
            )

    def _check_not_into_own_subtree(self, target, field):
        if self._state.adding or self.pk is None or self.lft is None:
            return
        inside = target.pk == self.pk or (
            target.tree_id == self.tree_id and self.lft < target.lft < self.rght
        )
        if inside:
            raise ValidationError({field: INTO_OWN_SUBTREE})

    def clean(self):
        super().clean()
        if self.parent_id is None:
            # Read-only here; save() checks again under the lock.
            self._check_tree_position(None, using=router.db_for_read(type(self)))
            return
        manager = type(self)._base_manager
        stored = manager.filter(pk=self.pk).first() if self.pk is not None else None
        parent = manager.filter(pk=self.parent_id).first()
        if parent is None:
            return
        if stored is not None:
            stored._check_not_into_own_subtree(parent, field="parent")
        if self.is_active:
            moved = stored is None or stored.parent_id != self.parent_id
            self._check_not_under_archived(parent, field="parent" if moved else "is_active")
