"""Thin old history, keeping the state every day ended with (what as-of views read).

A record older than the cut-off is deleted when a later record of the same object exists on
the same day (in the portal's time zone): as of the end of any day, and so as of any date, the
organisation reads the same. A department's record that added, moved or deleted it is always
kept, because the order of its siblings is rebuilt by replaying those records; its renames,
archives and other edits change no order and thin like every other record.
"""

from django.db import transaction
from django.utils import timezone

from orgportal.changes.models import Change
from orgportal.changes.records import HISTORY_MODELS

ORDER_KINDS = frozenset({"added", "moved", "deleted"})
BATCH = 1000


def history_thin(*, older_than, dry_run=False) -> dict[str, int]:
    """Delete the records that ``older_than`` allows (see the module); return counts by model."""
    deleted = {}
    for label, historical in HISTORY_MODELS.items():
        rows = (
            Change.objects.filter(model=label, history_date__lt=older_than)
            .order_by("object_id", "id")
            .values_list("id", "history_id", "object_id", "history_date", "kinds")
        )
        last_of_day = {}
        order_records = set()
        for change_id, history_id, object_id, history_date, kinds in rows.iterator():
            day = timezone.localtime(history_date).date()
            key = (object_id, day)
            if label == "departments.department" and ORDER_KINDS & set(kinds.split(",")):
                order_records.add(change_id)
            previous = last_of_day.get(key)
            last_of_day[key] = (change_id, history_id)
            if previous is not None and previous[0] not in order_records:
                deleted.setdefault(label, []).append(previous)
        doomed = deleted.get(label, [])
        if not dry_run:
            for start in range(0, len(doomed), BATCH):
                batch = doomed[start : start + BATCH]
                with transaction.atomic():
                    historical.objects.filter(history_id__in=[h for _c, h in batch]).delete()
                    Change.objects.filter(id__in=[c for c, _h in batch]).delete()
    return {label: len(records) for label, records in deleted.items()}
