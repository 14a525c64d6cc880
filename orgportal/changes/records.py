"""Historical records for the portal's models: who, why, through which path, and the log.

``register_history()`` registers every model HR edit with django-simple-history (called from
the orgportal app's ready(), after django-modeltranslation added the language columns, so the
historical tables keep every language). New models register with ``register_model()``.
"""

from django.db import connections, models, router
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.signals import post_delete, pre_delete
from simple_history import register
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from orgportal.changes.context import current_context
from orgportal.changes.kinds import change_kinds, compared_fields, previous_records
from orgportal.changes.models import Change, DepartmentHistoryBase, HistoryBase
from orgportal.translated import translated_fields

# The nested set is not history: a move records the parent and the position among siblings.
TREE_FIELDS = ("lft", "rght", "tree_id", "level")

# label -> historical model, in registration order (the feed and the views read them all).
HISTORY_MODELS: dict[str, type] = {}


class OrgHistoricalRecords(HistoricalRecords):
    """The library's records, with the user, reason and source of the change context."""

    def get_history_user(self, instance):
        user = super().get_history_user(instance)
        return user if user is not None else current_context().user

    def get_change_reason_for_object(self, instance, history_type, using):
        return super().get_change_reason_for_object(instance, history_type, using) or (
            current_context().reason
        )


def register_model(model, *, excluded=(), bases=(HistoryBase,)):
    """Record every change of ``model``; its plain translated columns are left out.

    django-modeltranslation's plain column (``name``) reads as the active language on an
    instance, so the records keep the language columns (``name_zh_hans``, …) only.
    """
    if model._meta.label_lower in HISTORY_MODELS:
        return
    register(
        model,
        app="orgportal",
        records_class=OrgHistoricalRecords,
        excluded_fields=[*excluded, *translated_fields(model)],
        bases=bases,
        history_change_reason_field=models.TextField(null=True, blank=True),
        user_db_constraint=False,
    )
    HISTORY_MODELS[model._meta.label_lower] = model.history.model


def register_history():
    from departments.models import Department
    from departments.signals import departments_updated
    from orgportal.guide.models import OrganisationProfile
    from roles.models import Duty, Role
    from teams.models import ProjectTeam, TeamMember

    register_model(Department, excluded=TREE_FIELDS, bases=(DepartmentHistoryBase,))
    register_model(Role)
    register_model(Duty)
    register_model(OrganisationProfile)
    register_model(ProjectTeam)
    register_model(TeamMember)
    pre_create_historical_record.connect(_fill_record, dispatch_uid="orgportal-history-fill")
    departments_updated.connect(_record_departments, dispatch_uid="orgportal-history-bulk")
    pre_delete.connect(_note_reports, sender=Role, dispatch_uid="orgportal-history-reports")
    post_delete.connect(_record_reports, sender=Role, dispatch_uid="orgportal-history-reports")
    post_create_historical_record.connect(_log_record, dispatch_uid="orgportal-history-log")


def _fill_record(sender, instance, history_instance, **kwargs):
    if type(history_instance)._meta.label_lower not in _historical_labels():
        return
    history_instance.history_source = current_context().source
    # Department.move_to() saves while it moves: a move, not a rename that finds its siblings
    # reordered around it.
    history_instance._moved = bool(getattr(instance, "_moving", False))
    if isinstance(history_instance, DepartmentHistoryBase) and history_instance.history_type != "-":
        using = kwargs.get("using") or router.db_for_write(type(instance))
        history_instance.sibling_position = sibling_positions(type(instance), [instance.pk], using)[
            instance.pk
        ]


def _record_departments(sender, pks, using="default", **kwargs):
    """Record the departments that a bulk update changed (archiving a subtree)."""
    record_bulk(sender, sender._base_manager.using(using).filter(pk__in=pks), using=using)


def _note_reports(sender, instance, **kwargs):
    """Remember the roles reporting to a role being deleted: the delete empties their
    reports_to with one UPDATE (SET_NULL), which sends no signal."""
    instance._history_reports = list(
        sender._base_manager.filter(reports_to_id=instance.pk).values_list("pk", flat=True)
    )


def _record_reports(sender, instance, using="default", **kwargs):
    pks = getattr(instance, "_history_reports", None)
    if pks:
        record_bulk(sender, sender._base_manager.using(using).filter(pk__in=pks), using=using)


def _log_record(sender, history_instance, **kwargs):
    if type(history_instance)._meta.label_lower not in _historical_labels():
        return
    log_changes([history_instance], using=kwargs.get("using"))


def _historical_labels():
    return {model._meta.label_lower for model in HISTORY_MODELS.values()}


def model_label(historical_model) -> str:
    return historical_model.instance_type._meta.label_lower


def sibling_positions(model, pks, using="default") -> dict:
    """Return each department's index among its siblings (by tree order), in one query."""
    manager = model._base_manager.using(using)
    before = manager.filter(
        parent_id=OuterRef("parent_id"), tree_id=OuterRef("tree_id"), lft__lt=OuterRef("lft")
    ).exclude(parent_id=None)
    rows = manager.filter(pk__in=pks).annotate(
        position=Subquery(
            before.order_by().values("parent_id").annotate(n=Count("pk")).values("n")[:1]
        )
    )
    return {pk: position or 0 for pk, position in rows.values_list("pk", "position")}


def log_changes(records, *, using=None):
    """Add the Change rows of ``records`` (historical records of one model)."""
    if not records:
        return
    using = using or router.db_for_write(Change)
    historical = type(records[0])
    label = model_label(historical)
    updates = [record for record in records if record.history_type == "~"]
    previous = previous_records(historical, updates, compared_fields(historical))
    places = _places(label, records, using)
    rows = [
        Change(
            model=label,
            history_id=record.history_id,
            object_id=record.id,
            history_date=record.history_date,
            kinds=",".join(change_kinds(label, record, previous.get(record.history_id))),
            department_id=places[record.history_id][0],
            role_id=places[record.history_id][1],
            team_id=places[record.history_id][2],
            user_id=record.history_user_id,
        )
        for record in records
    ]
    connection = connections[using]
    if connection.vendor != "postgresql" and len(rows) == 1:
        # The write lock is held (BEGIN IMMEDIATE): numbering now is commit order. One
        # statement numbers and inserts the row.
        row = rows[0]
        table = connection.ops.quote_name(Change._meta.db_table)
        names = ("model", "history_id", "object_id", "history_date", "kinds", "department_id")
        names += ("role_id", "team_id", "user_id")
        values = [getattr(row, name) for name in names]
        values[3] = connection.ops.adapt_datetimefield_value(row.history_date)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (seq, {', '.join(names)}) "
                f"SELECT COALESCE(MAX(seq), 0) + 1, {', '.join(['%s'] * len(names))} "
                f"FROM {table}",
                values,
            )
        return
    if connection.vendor != "postgresql":
        last = Change.objects.using(using).aggregate(last=Max("seq"))["last"] or 0
        for offset, row in enumerate(rows, start=1):
            row.seq = last + offset
    Change.objects.using(using).bulk_create(rows)


def _places(label, records, using):
    """Return (department id, role id, team id) of each record's change, by history_id.

    A team's change belongs to its Owner's role and department, a member's to the member's
    role and department (and both to the team), for the filters and the archived rules.
    """
    from roles.models import Role

    if label == "departments.department":
        return {r.history_id: (r.id, None, None) for r in records}
    if label == "roles.role":
        return {r.history_id: (r.department_id, r.id, None) for r in records}
    roles = {
        "roles.duty": "role_id",
        "teams.projectteam": "owner_id",
        "teams.teammember": "role_id",
    }.get(label)
    if roles is None:
        return {r.history_id: (None, None, None) for r in records}
    role_ids = {getattr(r, roles) for r in records}
    departments = dict(
        Role._base_manager.using(using).filter(pk__in=role_ids).values_list("pk", "department_id")
    )
    team = {"teams.projectteam": "id", "teams.teammember": "team_id"}.get(label)
    return {
        r.history_id: (
            departments.get(getattr(r, roles)),
            getattr(r, roles),
            getattr(r, team) if team else None,
        )
        for r in records
    }


# How many rows record_bulk() records in one go.
RECORD_BATCH = 1000


def record_bulk(model, instances, *, history_type="~", using="default"):
    """Record ``instances`` after a bulk write that sent no signals, with the change context.

    The library's bulk_history_create() writes the records; this adds the portal's columns
    (source, a department's position) and the change log.
    """
    instances = list(instances)
    if not instances or model._meta.label_lower not in HISTORY_MODELS:
        return []
    if len(instances) > RECORD_BATCH:
        # In batches: each reads its rows back by primary key (SQLite caps a statement's
        # parameters) and sets the departments' positions with a CASE over its own rows
        # only (one CASE over 50,000 rows took PostgreSQL minutes).
        return [
            record
            for start in range(0, len(instances), RECORD_BATCH)
            for record in record_bulk(
                model,
                instances[start : start + RECORD_BATCH],
                history_type=history_type,
                using=using,
            )
        ]
    if history_type == "~":
        # A bulk update's instances may hold only the columns it wrote: record the rows.
        instances = list(model._base_manager.using(using).filter(pk__in=[i.pk for i in instances]))
    context = current_context()
    historical = model.history.model
    records = model.history.bulk_history_create(
        instances,
        update=history_type == "~",
        default_user=context.user if context.user is not None else _request_user(),
        default_change_reason=context.reason,
        custom_historical_attrs={"history_source": context.source},
    )
    if not records:
        return []  # history is switched off (SIMPLE_HISTORY_ENABLED)
    if history_type == "-":
        for record in records:
            record.history_type = "-"
        historical.objects.filter(pk__in=[r.pk for r in records]).update(history_type="-")
    if issubclass(historical, DepartmentHistoryBase) and history_type != "-":
        positions = sibling_positions(model, [i.pk for i in instances], using)
        for record in records:
            record.sibling_position = positions.get(record.id)
        historical.objects.bulk_update(records, ["sibling_position"])
    if records and records[0].history_id is None:
        # A database without RETURNING for bulk inserts: read the ids back.
        records = list(historical.objects.order_by("-history_id")[: len(records)][::-1])
    log_changes(records, using=using)
    return records


def _request_user():
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def history_bulk_writes():
    """Return the import's BulkWrites that records every bulk insert and update it makes."""
    from departments.services import BulkWrites

    class HistoryBulkWrites(BulkWrites):
        def create(self, model, objects):
            objects = super().create(model, objects)
            if model._meta.label_lower in HISTORY_MODELS:
                record_bulk(model, objects, history_type="+")
            return objects

        def update(self, model, objects, fields):
            super().update(model, objects, fields)
            if objects and model._meta.label_lower in HISTORY_MODELS:
                record_bulk(model, objects)

    return HistoryBulkWrites()
