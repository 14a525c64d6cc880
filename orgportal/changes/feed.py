"""The change feed: every historical record in commit order, after a cursor.

The cursor is a Change row's ``seq``, numbered in commit order (see orgportal.changes.models):
a client that asks for ``since=N`` gets the changes numbered above N that have committed, and
no change numbered N or below can commit later. So following the cursor never skips a change
and never repeats one, even when transactions commit out of order.
"""

from orgportal.changes.models import Change
from orgportal.changes.records import HISTORY_MODELS

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_COLUMNS = ("history_id", "history_type", "history_change_reason", "history_source")


def record_fields(historical) -> list[str]:
    """Return the columns of the object that a record of ``historical`` holds."""
    fields = [field.attname for field in historical.tracked_fields]
    if hasattr(historical, "sibling_position"):
        fields.append("sibling_position")
    return fields


def feed_page(*, since: int, limit: int) -> tuple[list[dict], bool]:
    """Return up to ``limit`` changes after ``since`` in commit order, and whether more follow.

    One query for the page and one per model that it holds records of.
    """
    changes = list(
        Change.objects.filter(seq__gt=since)
        .order_by("seq")
        .values("seq", "model", "history_id")[: limit + 1]
    )
    more = len(changes) > limit
    changes = changes[:limit]
    wanted = {}
    for change in changes:
        wanted.setdefault(change["model"], []).append(change["history_id"])
    records = {}
    for label, ids in wanted.items():
        historical = HISTORY_MODELS[label]
        fields = record_fields(historical)
        rows = historical.objects.filter(history_id__in=ids).values(
            *fields, *HISTORY_COLUMNS, "history_date", "history_user__username"
        )
        for row in rows:
            records[label, row["history_id"]] = (row, fields)
    return [
        _item(change, *records[change["model"], change["history_id"]]) for change in changes
    ], more


def _item(change, row, fields):
    data = {name: row[name] for name in fields}
    if "sibling_position" in data:
        data["position"] = data.pop("sibling_position")
    return {
        "cursor": change["seq"],
        "at": row["history_date"],
        "model": change["model"].split(".")[1],
        "id": row["id"],
        "action": ACTIONS[row["history_type"]],
        "user": row["history_user__username"],
        "reason": row["history_change_reason"] or "",
        "source": row["history_source"],
        "data": data,
    }
