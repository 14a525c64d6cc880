"""Restore an object to an earlier version: a normal write through the model's write path.

Not django-simple-history's raw revert: a department goes back through Department.save() and
move_to() (the locked tree write path, with their checks), every object through full_clean(),
so a restore that would break the tree or a rule is refused with the reason, and the restore
is itself recorded like any other change.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from departments.models import Department
from orgportal.changes.context import change_context
from orgportal.changes.feed import record_fields

# Never taken from an old version: the row's identity and its own timestamps.
KEEP = frozenset({"id", "created_at", "updated_at"})


@transaction.atomic
def object_restore(*, model, history_id: int, user=None):
    """Bring the object back to the version ``history_id`` and return it.

    Raise ValidationError, with the reason, when the restore is refused.
    """
    historical = model.history.model
    version = historical.objects.filter(history_id=history_id).values().first()
    if version is None:
        raise ValidationError(gettext("This version does not exist."))
    if version["history_type"] == "-":
        raise ValidationError(gettext("This version records a deletion; choose an earlier one."))
    instance = model._base_manager.filter(pk=version["id"]).first()
    if instance is None:
        raise ValidationError(
            gettext("The %(model)s was deleted; it cannot be restored here.")
            % {"model": model._meta.verbose_name}
        )
    fields = [name for name in record_fields(historical) if name not in KEEP]
    for name in fields:
        if name == "sibling_position":
            continue
        setattr(instance, name, version[name])
    when = timezone.localtime(version["history_date"]).strftime("%Y-%m-%d %H:%M")
    reason = gettext("Restored to the version of %(when)s") % {"when": when}
    try:
        with transaction.atomic(), change_context(user=user, reason=reason, source="admin"):
            instance.full_clean()
            instance.save()
            if isinstance(instance, Department) and instance.parent_id:
                _put_in_place(instance, version.get("sibling_position"))
    except ValidationError as error:
        raise ValidationError(_reasons(error)) from error
    return instance


def _put_in_place(department, position):
    """Move ``department`` to ``position`` among its siblings, as the version had it."""
    if position is None:
        return
    siblings = [
        sibling
        for sibling in Department.objects.filter(parent_id=department.parent_id).order_by("lft")
        if sibling.pk != department.pk
    ]
    if position == 0 or not siblings:
        department.move_to(department.parent, "first-child")
    else:
        department.move_to(siblings[min(position, len(siblings)) - 1], "right")


def _reasons(error):
    if hasattr(error, "message_dict"):
        return [message for messages in error.message_dict.values() for message in messages]
    return error.messages
