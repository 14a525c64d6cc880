"""What a historical record changed, compared with the record before it."""

from django.db.models import OuterRef, Subquery

KINDS = (
    "added",
    "renamed",
    "moved",
    "archived",
    "restored",
    "duties",
    "members",
    "edited",
    "deleted",
)
NAMES = {
    "departments.department": "name_zh_hans",
    "roles.role": "title_zh_hans",
    "teams.projectteam": "name_zh_hans",
}
PLACES = {"departments.department": "parent_id", "roles.role": "department_id"}


def compared_fields(historical) -> list[str]:
    """Return the columns change_kinds() compares for records of ``historical``."""
    names = {field.attname for field in historical._meta.concrete_fields}
    wanted = ("name_zh_hans", "title_zh_hans", "parent_id", "department_id", "sibling_position")
    return [name for name in (*wanted, "is_active") if name in names]


def previous_records(historical, records, fields) -> dict:
    """Return, by history_id, the record before each of ``records`` (``fields`` of it).

    One query for a single record, two for many.
    """
    if not records:
        return {}
    if len(records) == 1:
        record = records[0]
        row = (
            historical.objects.filter(id=record.id, history_id__lt=record.history_id)
            .order_by("-history_id")
            .values(*fields)
            .first()
        )
        return {record.history_id: row} if row else {}
    before = historical.objects.filter(
        id=OuterRef("id"), history_id__lt=OuterRef("history_id")
    ).order_by("-history_id")
    pairs = dict(
        historical.objects.filter(history_id__in=[r.history_id for r in records])
        .annotate(previous=Subquery(before.values("history_id")[:1]))
        .exclude(previous=None)
        .values_list("history_id", "previous")
    )
    rows = {
        row["history_id"]: row
        for row in historical.objects.filter(history_id__in=pairs.values()).values(
            "history_id", *fields
        )
    }
    return {current: rows[previous] for current, previous in pairs.items()}


def change_kinds(label, record, previous) -> list[str]:
    """Return the kinds of change of ``record`` (a row or a record) against ``previous``."""
    get = record.get if isinstance(record, dict) else lambda name: getattr(record, name)
    history_type = get("history_type")
    if label == "roles.duty":
        return ["duties"]
    if label == "teams.teammember":
        return ["members"]
    if history_type == "+":
        return ["added"]
    if history_type == "-":
        return ["deleted"]
    if previous is None:
        return ["edited"]
    kinds = []
    name = NAMES.get(label)
    if name and previous.get(name) != get(name):
        kinds.append("renamed")
    place = PLACES.get(label)
    if place and (previous.get(place) != get(place) or getattr(record, "_moved", False)):
        kinds.append("moved")
    if previous.get("is_active") and not get("is_active"):
        kinds.append("archived")
    elif previous.get("is_active") is False and get("is_active"):
        kinds.append("restored")
    if not kinds:
        kinds.append("edited")
    return kinds
