"""Historical records for the portal's models: who, why, through which path, and the log.

``register_history()`` registers every model HR edit with django-simple-history (called from
the orgportal app's ready(), after django-modeltranslation added the language columns, so the
historical tables keep every language). New models register with ``register_model()``.
"""

from types import SimpleNamespace

from django.apps import apps
from django.conf import settings
from django.db import connections, models, router
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone
from simple_history import register
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from orgportal.changes.context import current_context
from orgportal.changes.kinds import change_kinds, compared_fields, previous_records
from orgportal.changes.models import FEED_LOCK_KEY, Change, DepartmentHistoryBase, HistoryBase
from orgportal.translated import translated_fields

# PostgreSQL's sequence of the change log's numbers (migration 0004).
COMMIT_SEQUENCE = "orgportal_change_commit_seq"
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


def log_changes(records, *, using=None, historical=None, numbered=False):
    """Add the Change rows of ``records`` (historical records of one model, or rows of
    ``historical`` with the columns they are compared and placed by).

    ``numbered``: PostgreSQL numbers them now, the caller holding the feed's lock (see
    log_held_back()); otherwise at COMMIT.
    """
    if not records:
        return
    using = using or router.db_for_write(Change)
    historical = historical or type(records[0])
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
    elif numbered:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval('{COMMIT_SEQUENCE}') FROM generate_series(1, %s)", [len(rows)]
            )
            for row, (seq,) in zip(rows, cursor.fetchall(), strict=True):
                row.seq = seq
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


# How many rows record_bulk() records in one statement.
RECORD_BATCH = 1000

# The history columns record_bulk() fills itself; every other column is copied from the row.
_OWN_COLUMNS = frozenset(
    {
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
        "history_source",
        "sibling_position",
    }
)
# An empty id column of a change (typed: a subquery's bare NULL is text on PostgreSQL).
NO_ID = "CAST(NULL AS BIGINT)"
# The role whose department a change belongs to, by model (see _places()).
_ROLE_COLUMNS = {
    "roles.duty": "role_id",
    "teams.projectteam": "owner_id",
    "teams.teammember": "role_id",
}
_TEAM_COLUMNS = {"teams.projectteam": "id", "teams.teammember": "team_id"}


def record_bulk(model, instances, *, history_type="~", using="default", held_back=None):
    """Record ``instances`` after a bulk write that sent no signals, with the change context.

    Set-based: one ``INSERT … SELECT`` per batch copies the rows as stored into the historical
    table (a department's position among its siblings computed in it), and another adds their
    Change rows, with no model instance per record. Only an update's change kinds (renamed,
    moved, …), which compare each record with the one before it, are worked out in Python.
    With a list ``held_back``, the Change rows wait in it for log_held_back(). Return the new
    records' history ids.
    """
    if model._meta.label_lower not in HISTORY_MODELS:
        return []
    if history_type == "-":
        return _record_deleted(model, list(instances), using)
    if isinstance(instances, models.QuerySet):
        pks = list(instances.order_by().values_list("pk", flat=True))
    else:
        pks = [instance.pk for instance in instances]
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return []
    context = current_context()
    user = context.user if context.user is not None else _request_user()
    common = {
        "date": timezone.now(),
        "reason": context.reason,
        "user_id": getattr(user, "pk", None),
        "source": context.source,
    }
    history_ids = []
    # In batches: SQLite caps a statement's parameters, and each statement stays small.
    for start in range(0, len(pks), RECORD_BATCH):
        batch = pks[start : start + RECORD_BATCH]
        ids = _insert_records(model, batch, history_type, common, using)
        if held_back is None:
            _insert_changes(model, ids, history_type, using)
        else:
            held_back.append((model, ids, history_type))
        history_ids.extend(ids)
    return history_ids


def history_copy_columns(historical, connection):
    """Return the columns of ``historical`` (a model's historical table) and what an
    ``INSERT … SELECT`` from the model's table (as ``src``) puts in them: each copied column
    of the row, then five parameters (%s) for history_date, history_change_reason,
    history_type, history_user_id and history_source, in that order."""
    quote = connection.ops.quote_name
    copied = [
        field.column
        for field in historical._meta.concrete_fields
        if field.attname not in _OWN_COLUMNS
    ]
    names = [*copied, "history_date", "history_change_reason", "history_type"]
    names += ["history_user_id", "history_source"]
    values = [f"src.{quote(name)}" for name in copied] + ["%s"] * 5
    return names, values


def _insert_records(model, pks, history_type, common, using):
    """Copy the rows ``pks`` of ``model`` into its historical table; return the history ids."""
    connection = connections[using]
    quote = connection.ops.quote_name
    historical = model.history.model
    names, values = history_copy_columns(historical, connection)
    params = [
        connection.ops.adapt_datetimefield_value(common["date"]),
        common["reason"],
        history_type,
        common["user_id"],
        common["source"],
    ]
    if issubclass(historical, DepartmentHistoryBase):
        # Its index among its siblings in tree order, as sibling_positions() counts it.
        names.append("sibling_position")
        table = quote(model._meta.db_table)
        values.append(
            f"(SELECT COUNT(*) FROM {table} AS sibling WHERE sibling.parent_id = src.parent_id "
            "AND sibling.tree_id = src.tree_id AND sibling.lft < src.lft)"
        )
    pk = quote(model._meta.pk.column)
    sql = (
        f"INSERT INTO {quote(historical._meta.db_table)} ({', '.join(map(quote, names))}) "
        f"SELECT {', '.join(values)} FROM {quote(model._meta.db_table)} AS src "
        f"WHERE src.{pk} IN ({', '.join(['%s'] * len(pks))}) ORDER BY src.{pk} "
        f"RETURNING {quote(historical._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *pks])
        return sorted(row[0] for row in cursor.fetchall())


def log_held_back(held_back, using="default"):
    """Add the Change rows that record_bulk() held back, in the order of their records.

    On PostgreSQL they are numbered as they are inserted, under the feed's advisory lock, which
    is then held until the commit (as the trigger at COMMIT does; orgportal.changes.models). So
    the trigger has nothing to do for them: numbering a whole import's rows at COMMIT updated
    every one of them again. Call it near the end of the transaction, since the lock holds back
    every other writer's commit.
    """
    if not held_back:
        return
    connection = connections[using]
    numbered = connection.vendor == "postgresql"
    if numbered:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK_KEY])
            # This transaction's rows logged before (by saves), first: numbers follow the order
            # of the log, as the trigger numbers it (migration 0007).
            cursor.execute(
                f"UPDATE {Change._meta.db_table} AS change SET seq = numbered.seq FROM ("
                f"SELECT id, nextval('{COMMIT_SEQUENCE}') AS seq FROM (SELECT id FROM "
                f"{Change._meta.db_table} WHERE seq IS NULL ORDER BY id) AS unnumbered"
                ") AS numbered WHERE change.id = numbered.id"
            )
    for model, history_ids, history_type in held_back:
        _insert_changes(model, history_ids, history_type, using, numbered=numbered)
    held_back.clear()


def _insert_changes(model, history_ids, history_type, using, numbered=False):
    """Add the Change rows of the new records ``history_ids`` of ``model``."""
    if not history_ids:
        return
    historical = model.history.model
    label = model._meta.label_lower
    kinds = change_kinds(label, {"history_type": history_type}, None)
    if history_type == "~" and kinds == ["edited"]:
        # Updates of departments, roles and teams: their kinds compare each with its previous
        # record.
        fields = {"history_id", "id", "history_date", "history_type", "history_user_id"}
        fields |= {*compared_fields(historical), *_ROLE_COLUMNS.values(), "department_id"}
        fields |= set(_TEAM_COLUMNS.values())
        names = {field.attname for field in historical._meta.concrete_fields}
        rows = historical.objects.using(using).filter(history_id__in=history_ids)
        records = [
            SimpleNamespace(**row) for row in rows.order_by("history_id").values(*(fields & names))
        ]
        log_changes(records, using=using, historical=historical, numbered=numbered)
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    role = _ROLE_COLUMNS.get(label)
    team = _TEAM_COLUMNS.get(label)
    roles = quote(apps.get_model("roles", "Role")._meta.db_table)
    department = {
        "departments.department": "h.id",
        "roles.role": "h.department_id",
    }.get(label)
    if department is None and role:
        department = f"(SELECT r.department_id FROM {roles} AS r WHERE r.id = h.{quote(role)})"
    role_value = "h.id" if label == "roles.role" else (f"h.{quote(role)}" if role else NO_ID)
    names = ["model", "history_id", "object_id", "history_date", "kinds", "department_id"]
    names += ["role_id", "team_id", "user_id"]
    values = [
        "%s",
        "h.history_id",
        "h.id",
        "h.history_date",
        "%s",
        department or NO_ID,
    ]
    values += [role_value, f"h.{quote(team)}" if team else NO_ID, "h.history_user_id"]
    table = quote(Change._meta.db_table)
    if connection.vendor != "postgresql":
        # The write lock is held (BEGIN IMMEDIATE): numbering now is commit order. PostgreSQL
        # numbers the rows at COMMIT (see orgportal.changes.models), or now when ``numbered``.
        names.append("seq")
        values.append(
            f"(SELECT COALESCE(MAX(seq), 0) FROM {table}) "
            "+ ROW_NUMBER() OVER (ORDER BY h.history_id)"
        )
    select = (
        f"SELECT {', '.join(values)} FROM {quote(historical._meta.db_table)} AS h "
        f"WHERE h.history_id IN ({', '.join(['%s'] * len(history_ids))}) ORDER BY h.history_id"
    )
    if numbered and connection.vendor == "postgresql":
        # Numbered in the order of the records: nextval() over the sorted rows.
        aliases = [f"c{index}" for index in range(len(values))]
        select = select.replace(
            f"SELECT {', '.join(values)} ",
            f"SELECT {', '.join(f'{v} AS {a}' for v, a in zip(values, aliases, strict=True))} ",
            1,
        )
        select = (
            f"SELECT {', '.join(f'ordered.{a}' for a in aliases)}, "
            f"nextval('{COMMIT_SEQUENCE}') FROM ({select}) AS ordered"
        )
        names.append("seq")
    sql = f"INSERT INTO {table} ({', '.join(map(quote, names))}) {select}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [label, ",".join(kinds), *history_ids])


def _record_deleted(model, instances, using):
    """Record the deletion of ``instances`` (still held in memory) with the library's bulk
    history, then their Change rows."""
    if not instances:
        return []
    context = current_context()
    historical = model.history.model
    records = model.history.bulk_history_create(
        instances,
        default_user=context.user if context.user is not None else _request_user(),
        default_change_reason=context.reason,
        custom_historical_attrs={"history_source": context.source},
    )
    if not records:
        return []
    for record in records:
        record.history_type = "-"
    historical.objects.filter(pk__in=[r.pk for r in records]).update(history_type="-")
    log_changes(records, using=using)
    return [record.history_id for record in records]


def _request_user():
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def history_bulk_writes():
    """Return the import's BulkWrites that records every bulk insert and update it makes."""
    from departments.services import BulkWrites

    class HistoryBulkWrites(BulkWrites):
        def __init__(self):
            # The change log of the records, added last (log_held_back()).
            self.held_back = []

        def create(self, model, objects):
            objects = super().create(model, objects)
            if model._meta.label_lower in HISTORY_MODELS:
                record_bulk(model, objects, history_type="+", held_back=self.held_back)
            return objects

        def update(self, model, objects, fields):
            super().update(model, objects, fields)
            if objects and model._meta.label_lower in HISTORY_MODELS:
                record_bulk(model, objects, held_back=self.held_back)

        def finish(self):
            log_held_back(self.held_back)

    return HistoryBulkWrites()
