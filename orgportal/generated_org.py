"""Generated organisations of any size, written in bulk, for the tests and `make bench`.

One pass computes every department's nested-set fields and primary key. The departments and the
few project teams go in as rows (COPY on PostgreSQL); the roles and the duties are derived from
the rows above them in SQL, one ``INSERT … SELECT`` each. Every row is then recorded in the
history as created, one ``INSERT … SELECT`` per model, and the change log follows last,
numbered as it goes in. Nothing is updated afterwards. Rows and records carry one moment, the
load's: the organisation appears at once, as its transaction commits.

On PostgreSQL the five tables are empty when the load starts (a role needs a department, a duty
a role, a team its Owner), so their foreign keys and their non-unique indexes are dropped for
the load and created again, as they were, once the rows are in: building a trigram GIN index
over a million duties at once is many times faster than adding every row to it, and a foreign
key added to a full table checks it with one join instead of one deferred check per row at
COMMIT. The history's and the change log's plain indexes are set aside too while those tables
are empty (a new database). Until the transaction ends, other sessions wait to read the tables
set aside.

Called outside a transaction (`make bench`, the shell), the load commits its rows first and the
building follows in PARALLEL_SESSIONS sessions of their own (each build is CPU-bound and runs in
one process, and other sessions see the rows only once they are committed): the foreign keys go
back NOT VALID before the commit and are validated after it; the change log's primary key and
unique number are set aside too. What is left to build is committed with the rows in
PENDING_TABLE and crossed off statement by statement, so build_large_org() returns only once
everything is back, raises SetAsideError naming what is not, and the next call (or
finish_set_aside()) builds what an interrupted load left. Inside a transaction (the tests) all
is built before it ends, as before.
"""

import functools
import threading
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from departments.locking import lock_tree
from departments.models import Department
from departments.services import nested_set_fields, tree_problems
from orgportal.cache import org_changed
from orgportal.changes.context import current_context
from orgportal.changes.kinds import change_kinds
from orgportal.changes.models import FEED_LOCK_KEY, Change, DepartmentHistoryBase

# What record_bulk() and log_held_back() write, written here for whole tables at once.
from orgportal.changes.records import (
    _ROLE_COLUMNS,
    _TEAM_COLUMNS,
    COMMIT_SEQUENCE,
    HISTORY_MODELS,
    NO_ID,
    _request_user,
    history_copy_columns,
)
from orgportal.i18n import to_traditional
from orgportal.translated import translated_fields
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember

BATCH_SIZE = 5000
# Every generated duty contains BROAD_TERM; one in RARE_EVERY contains RARE_TERM; nothing
# contains MISSING_TERM. The benchmark's searches use these, so they stay in step with the texts.
BROAD_TERM = "生成职责"
RARE_TERM = "年度审计"
RARE_EVERY = 1000
MISSING_TERM = "不存在的词语"
DUTY_AREAS = ("SEO方向", "内容方向", "数据方向", "")
# The models written, in the order their rows, records and change log go in.
MODELS = (Department, Role, Duty, ProjectTeam, TeamMember)
# For PostgreSQL's index builds after the load (SET LOCAL: this transaction only); the trigram
# indexes of a million duties build a little faster with it than with the default 64 MB.
INDEX_BUILD_MEMORY = "256MB"
# Sessions that build the indexes and check the foreign keys after a load's commit, at once (the
# builds are CPU-bound and each runs in one process).
PARALLEL_SESSIONS = 2
# What a load committed without and is still to build (see _save_pending()): there only until
# it is built.
PENDING_TABLE = "orgportal_generated_org_pending"


@dataclass(frozen=True)
class GeneratedOrg:
    """What build_large_org() wrote."""

    root: Department
    departments: int
    roles: int
    duties: int
    teams: int = 0


@dataclass(frozen=True)
class _Sql:
    """A column's value as an SQL expression over the source rows of an INSERT … SELECT."""

    sql: str
    params: tuple = ()


def build_large_org(
    *,
    departments: int = 500,
    roles_per_department: int = 5,
    duties_per_role: int = 2,
    fanout: int = 8,
    teams: int = 50,
    members_per_team: int = 6,
    using: str = "default",
) -> GeneratedOrg:
    """Write a valid organisation of ``departments`` departments into an empty tree.

    Department i's parent is department (i - 1) // fanout: a full tree, level by level. Its
    roles are numbered 0 to ``roles_per_department`` - 1, and so are a role's duties. The nested
    set is written under the tree lock in one transaction and checked with tree_problems()
    before the transaction commits; the organisation cache is invalidated.
    """
    if departments < 1:
        raise ValueError("An organisation has at least one department.")
    connection = connections[using]
    # Outside a transaction the rows are committed first and what was set aside is built after,
    # in parallel sessions (which can see the rows only then); inside one, in this transaction.
    parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
    # What an interrupted load left to build, first.
    finish_set_aside(using)
    with transaction.atomic(using=using):
        lock_tree(using)
        if Department._base_manager.using(using).exists():
            raise ValueError("build_large_org() writes into an empty department table.")
        now = timezone.now()
        parents = [None] + [(index - 1) // fanout for index in range(1, departments)]
        fields = nested_set_fields(parents)
        set_aside = _set_aside(using, _tables(MODELS))
        # The history and the change log too when they are empty (a new database); the change
        # log's primary key and unique number too when they are built after the commit.
        log_set_aside = _set_aside(
            using,
            _empty(using, _log_tables()),
            foreign_keys=False,
            unique=[Change._meta.db_table] if parallel else [],
        )
        first_id = _next_id(Department, using)
        hant_name = _traditional("生成部门")
        _insert(
            using,
            Department,
            now,
            (
                dict(
                    id=first_id + index,
                    code="company" if index == 0 else f"gen-{index}",
                    **_texts(
                        Department,
                        name=("公司", "Company")
                        if index == 0
                        else (f"生成部门{index}", f"Generated {index}"),
                        tagline=("生成", ""),
                        # Converted without the number, which splits the phrase.
                        traditional=None if index == 0 else {"name": f"{hant_name}{index}"},
                    ),
                    parent_id=None if parent is None else first_id + parent,
                    lft=lft,
                    rght=rght,
                    level=level,
                    tree_id=1,
                )
                for index, (parent, (lft, rght, level)) in enumerate(
                    zip(parents, fields, strict=True)
                )
            ),
        )
        first_role = _next_id(Role, using)
        role_count = departments * roles_per_department
        # The planner reads them by primary key only when it knows how many there are.
        _analyze(using, [Department])
        _insert_roles(using, now, first_id, departments, first_role, roles_per_department)
        first_duty = _next_id(Duty, using)
        _analyze(using, [Role])
        _insert_duties(using, now, first_role, role_count, first_duty, duties_per_role)
        _insert_teams(
            using,
            now,
            teams=teams,
            members_per_team=members_per_team,
            role_id=lambda department, number: (
                first_role
                + (department % departments) * roles_per_department
                + number % roles_per_department
            ),
            departments=departments,
        )
        if not parallel:
            _restore(using, set_aside)
            _analyze(using)
        # In parallel, ANALYZE follows the indexes after the commit (the statistics of their
        # expressions with it): once is enough, and the history's plans did not change.
        written = [_record_created(using, model, now) for model in MODELS]
        # The change log last, numbered as it goes in (see log_held_back()).
        _log_created(using, [record for record in written if record])
        if parallel:
            _save_pending(using, [*set_aside, *log_set_aside])
        else:
            _restore(using, log_set_aside)
        reset_id_sequences(using)
        problems = tree_problems(using=using)
        if problems:
            raise AssertionError(f"The generated tree is invalid: {problems[:5]}")
        org_changed(using=using)
    if parallel:
        finish_set_aside(using)
    root = Department.objects.using(using).get(pk=first_id)
    return GeneratedOrg(
        root=root,
        departments=departments,
        roles=role_count,
        duties=role_count * duties_per_role,
        teams=teams,
    )


def _insert_roles(using, now, first_department, departments, first_role, per_department):
    """Write roles 0 … ``per_department`` - 1 of every department, in department order."""
    numbers, params = _numbers(
        {
            "number": number,
            "title": f"生成岗位{number}",
            "title_en": f"Generated role {number}",
            "title_hant": _traditional(f"生成岗位{number}"),
        }
        for number in range(per_department)
    )
    last_department = first_department + departments - 1
    _insert_select(
        using,
        Role,
        now,
        dict(
            id=_Sql("%s + s.position", (first_role,)),
            code=_Sql(
                "'gen-role-' || CAST(s.department_id - %s AS TEXT) || '-' "
                "|| CAST(s.number AS TEXT)",
                (first_department,),
            ),
            department_id=_Sql("s.department_id"),
            **_texts(
                Role,
                title=(_Sql("s.title"), _Sql("s.title_en")),
                traditional={"title": _Sql("s.title_hant")},
            ),
            headcount=_Sql("s.number + 1"),
            sort_order=_Sql("s.number"),
        ),
        f"(SELECT d.id AS department_id, (d.id - %s) * %s + n.number AS position, n.* "
        f"FROM {_table(Department, using)} AS d CROSS JOIN ({numbers}) AS n "
        "WHERE d.id BETWEEN %s AND %s) AS s",
        (first_department, per_department, *params, first_department, last_department),
        "s.department_id, s.number",
    )


def _insert_duties(using, now, first_role, roles, first_duty, per_role):
    """Write duties 0 … ``per_role`` - 1 of every role, in role order: duty i (counted over the
    whole organisation from 0) reads "{BROAD_TERM}{number}：按月复盘第{i + 1}项工作", with
    "，{RARE_TERM}" at the end of one in RARE_EVERY."""
    numbers, params = _numbers(
        {
            "number": number,
            "head": f"{BROAD_TERM}{number}",
            "head_hant": f"{_traditional(BROAD_TERM)}{number}",
            "area": DUTY_AREAS[number % len(DUTY_AREAS)],
            "area_hant": _traditional(DUTY_AREAS[number % len(DUTY_AREAS)]),
        }
        for number in range(per_role)
    )
    rare = f"，{RARE_TERM}"

    def text(head, convert):
        # Converted piece by piece (numbers split the phrases), which is what converting the
        # whole text gives; tests/orgportal/test_generated_org.py checks that a save agrees.
        return _Sql(
            f"{head} || %s || CAST(s.position + 1 AS TEXT) || %s || CASE WHEN s.position "
            f"%% {RARE_EVERY} = {RARE_EVERY - 1} THEN %s ELSE '' END",
            (convert("：按月复盘第"), convert("项工作"), convert(rare)),
        )

    _insert_select(
        using,
        Duty,
        now,
        dict(
            id=_Sql("%s + s.position", (first_duty,)),
            role_id=_Sql("s.role_id"),
            **_texts(
                Duty,
                area=(_Sql("s.area"), ""),
                text=(text("s.head", str), ""),
                traditional={
                    "area": _Sql("s.area_hant"),
                    "text": text("s.head_hant", _traditional),
                },
            ),
            sort_order=_Sql("s.number"),
        ),
        f"(SELECT r.id AS role_id, (r.id - %s) * %s + n.number AS position, n.* "
        f"FROM {_table(Role, using)} AS r CROSS JOIN ({numbers}) AS n "
        "WHERE r.id BETWEEN %s AND %s) AS s",
        (first_role, per_role, *params, first_role, first_role + roles - 1),
        "s.role_id, s.number",
    )


def _insert_teams(using, now, *, teams, members_per_team, role_id, departments):
    """Write ``teams`` active project teams, each drawing on ``members_per_team`` departments
    spread over the tree; its first member is its Owner."""
    if teams < 1:
        return
    first_team = _next_id(ProjectTeam, using)
    members = min(members_per_team, departments)
    # Department of the team's j-th member: spread with a step that visits distinct departments.
    step = next(n for n in (53, 37, 29, 13, 7, 1) if departments % n or n == 1)
    _insert(
        using,
        ProjectTeam,
        now,
        (
            dict(
                id=first_team + index,
                code=f"gen-team-{index}",
                **_texts(
                    ProjectTeam,
                    name=(f"生成项目组{index}", f"Generated team {index}"),
                    purpose=("跨部门完成生成的项目目标", ""),
                ),
                owner_id=role_id(index * 7, 0),
                status=ProjectTeam.Status.ACTIVE,
            )
            for index in range(teams)
        ),
    )
    first_member = _next_id(TeamMember, using)
    _insert(
        using,
        TeamMember,
        now,
        (
            dict(
                id=first_member + index * members + number,
                team_id=first_team + index,
                role_id=role_id(index * 7 + number * step, number),
                **_texts(TeamMember, responsibility=(f"负责生成项目的第{number + 1}项工作", "")),
                allocation=50,
                sort_order=number,
            )
            for index in range(teams)
            for number in range(members)
        ),
    )


_traditional = cache(to_traditional)


def _texts(model, traditional=None, **texts):
    """Return the column values of ``texts`` (field: (simplified, English)) for _insert() and
    _insert_select() (values, or _Sql expressions).

    The traditional columns hold the automatic conversion, as a save would write them
    (orgportal.translated); ``traditional`` gives conversions already made (and must, for a
    text given as an expression). The field's own column holds the simplified text, as a save
    in the default language writes it.
    """
    values = {}
    for field in translated_fields(model):
        source, english = texts.get(field, ("", ""))
        values[field] = source
        values[f"{field}_zh_hans"] = source
        values[f"{field}_en"] = english
        values[f"{field}_zh_hant"] = (traditional or {}).get(field) or _traditional(source)
    values["zh_hant_auto"] = tuple(sorted(translated_fields(model)))
    return values


def _numbers(rows):
    """Return a subquery of one row per dict of ``rows`` (the same keys in each), and its
    parameters: the numbers of the roles of a department, of the duties of a role."""
    selects, params = [], []
    for row in rows:
        selects.append("SELECT " + ", ".join(f"%s AS {name}" for name in row))
        params.extend(row.values())
    return " UNION ALL ".join(selects), params


def _next_id(model, using):
    highest = model._base_manager.using(using).aggregate(highest=Max("pk"))["highest"]
    return (highest or 0) + 1


def _table(model, using):
    return connections[using].ops.quote_name(model._meta.db_table)


def _insert(using, model, now, rows):
    """Insert ``rows`` (dicts of column values by attname; the model's defaults fill the rest).

    No model instances: on PostgreSQL the rows go through one COPY, elsewhere one executemany()
    per batch. Building 1.5 million instances (django-modeltranslation rewrites every
    keyword) and compiling their INSERTs took most of the time of a bulk_create.
    """
    connection = connections[using]
    columns = _Columns(model, connection, now)
    quote = connection.ops.quote_name
    names = ", ".join(map(quote, columns.names))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {_table(model, using)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(columns.values(row))
            return
        placeholders = ", ".join(["%s"] * len(columns.names))
        sql = f"INSERT INTO {_table(model, using)} ({names}) VALUES ({placeholders})"
        batch = []
        for row in rows:
            batch.append(columns.values(row))
            if len(batch) == BATCH_SIZE:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _insert_select(using, model, now, values, source, params, order):
    """Insert a row of ``model`` per row of ``source`` (a FROM clause, with its ``params``) in
    the ``order`` of its rows, their primary key order: ``values`` maps attnames to _Sql
    expressions over it, or to values; the model's defaults fill the rest, as in _insert().

    Ordered by the rows they derive from (not by their own new ids), PostgreSQL reads those
    through their primary key and sorts only the few rows made from each, instead of sorting a
    million duties on disk."""
    connection = connections[using]
    columns = _Columns(model, connection, now)
    unknown = values.keys() - set(columns.attnames)
    if unknown:
        raise ValueError(f"No such columns: {sorted(unknown)}")
    quote = connection.ops.quote_name
    expressions, select_params = [], []
    for attname in columns.attnames:
        value = values.get(attname, columns.defaults[attname])
        if isinstance(value, _Sql):
            expressions.append(value.sql)
            select_params.extend(value.params)
        else:
            expressions.append("%s")
            select_params.append(columns.prepared(attname, value))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(model, using)} ({', '.join(map(quote, columns.names))}) "
            f"SELECT {', '.join(expressions)} FROM {source} ORDER BY {order}",
            [*select_params, *params],
        )


class _Columns:
    """A model's columns for _insert(): their order and how a value of each is stored."""

    # Types whose Python values the database driver stores as they are.
    PLAIN = {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }

    def __init__(self, model, connection, now):
        self.fields = model._meta.concrete_fields
        self.names = [field.column for field in self.fields]
        self.attnames = [field.attname for field in self.fields]
        self.defaults = {}
        self.prepare = {}
        for field in self.fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                self.defaults[field.attname] = now
            elif field.has_default():
                self.defaults[field.attname] = field.get_default()
            else:
                self.defaults[field.attname] = None if field.null else field.get_default()
            if field.get_internal_type() not in self.PLAIN:
                self.prepare[field.attname] = functools.partial(
                    field.get_db_prep_save, connection=connection
                )
        self.known = set(self.attnames)
        self.cache = {}
        self.prepared_defaults = {
            attname: self.prepared(attname, value) for attname, value in self.defaults.items()
        }

    def prepared(self, attname, value):
        prepare = self.prepare.get(attname)
        if prepare is None:
            return value
        # The same values again and again (the time, the automatic translations): prepared once.
        try:
            return self.cache[attname, value]
        except KeyError:
            self.cache[attname, value] = prepared = prepare(value)
            return prepared
        except TypeError:  # not hashable
            return prepare(value)

    def values(self, row):
        if not row.keys() <= self.known:
            raise ValueError(f"No such columns: {sorted(row.keys() - self.known)}")
        return [
            self.prepared(attname, row[attname])
            if attname in row
            else self.prepared_defaults[attname]
            for attname in self.attnames
        ]


def _tables(models):
    return [model._meta.db_table for model in models]


def _log_tables():
    """The historical tables of MODELS and the change log."""
    historical = [model for model in MODELS if model._meta.label_lower in HISTORY_MODELS]
    return [*_tables(model.history.model for model in historical), Change._meta.db_table]


def _empty(using, tables):
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"NOT EXISTS (SELECT 1 FROM {quote(table)})" for table in tables)
        )
        return [table for table, empty in zip(tables, cursor.fetchone(), strict=True) if empty]


@dataclass(frozen=True)
class _SetAside:
    """An index or a constraint _set_aside() dropped: its table, name and definition."""

    kind: str  # "index", "foreign key" or "unique" (a primary key or a unique constraint)
    table: str
    name: str
    definition: str

    @property
    def create(self):
        if self.kind == "index":
            return self.definition
        return f"ALTER TABLE {self.table} ADD CONSTRAINT {_quote_name(self.name)} {self.definition}"


def _quote_name(name):
    """PostgreSQL's quoting of a name (what its backend's quote_name() does): only PostgreSQL
    sets anything aside."""
    return name if name.startswith('"') and name.endswith('"') else f'"{name}"'


def _set_aside(using, tables, *, foreign_keys=True, unique=()):
    """On PostgreSQL, drop the non-unique indexes and (with ``foreign_keys``) the foreign keys
    of the empty ``tables`` for the load, and the primary keys and unique constraints of the
    tables in ``unique``; return what _restore() or _save_pending() need to create them again
    as they were."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not tables:
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype, conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE (contype = 'f' AND conrelid = ANY(%s::regclass[])) "
            "OR (contype IN ('p', 'u') AND conrelid = ANY(%s::regclass[])) "
            "ORDER BY conrelid, conname",
            [tables if foreign_keys else [], list(unique)],
        )
        keys = [
            _SetAside("foreign key" if kind == "f" else "unique", table, name, definition)
            for kind, table, name, definition in cursor.fetchall()
        ]
        # Not the primary keys, unique indexes and indexes of constraints: they stay.
        cursor.execute(
            "SELECT indrelid::regclass::text, indexrelid::regclass::text, "
            "pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary "
            "AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = indexrelid) "
            "ORDER BY indrelid, indexrelid",
            [tables],
        )
        indexes = [_SetAside("index", *row) for row in cursor.fetchall()]
        for key in keys:
            cursor.execute(f"ALTER TABLE {key.table} DROP CONSTRAINT {quote(key.name)}")
        for index in indexes:
            cursor.execute(f"DROP INDEX {index.name}")
    return [*indexes, *keys]


def _restore(using, set_aside):
    """Create again what _set_aside() dropped, in this transaction: the indexes built from the
    rows, the constraints checked over them."""
    if not set_aside:
        return
    with connections[using].cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        for item in set_aside:
            cursor.execute(item.create)
        cursor.execute("RESET maintenance_work_mem")


def _save_pending(using, set_aside):
    """Leave what _set_aside() dropped to finish_set_aside(), after the commit: the foreign keys
    are added again at once, NOT VALID (they hold for new rows, and say they are not checked
    yet); the indexes and the other constraints to build, the foreign keys to validate and the
    tables to analyze go into PENDING_TABLE, committed with the rows, so that a load stopped
    after its commit is finished by the next call (or by finish_set_aside())."""
    connection = connections[using]
    table = connection.ops.quote_name(PENDING_TABLE)
    with connection.cursor() as cursor:
        keys = [item for item in set_aside if item.kind == "foreign key"]
        for key in keys:
            cursor.execute(f"{key.create} NOT VALID")
        built = [item for item in set_aside if item.kind != "foreign key"]
        cursor.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE oid = ANY(%s::regclass[])",
            [sorted({item.table for item in set_aside})],
        )
        sizes = dict(cursor.fetchall())
        # The biggest builds first (the trigram indexes of the duties), so that the sessions
        # end close together.
        built.sort(
            key=lambda item: (-sizes.get(item.table.strip('"'), 0), " gin " not in item.create)
        )
        statements = [(0, item.create) for item in built]
        statements += [
            (1, f"ALTER TABLE {key.table} VALIDATE CONSTRAINT {_quote_name(key.name)}")
            for key in keys
        ]
        # The statistics of the indexed expressions too: ANALYZE once the indexes are there.
        statements += [
            (2, f"ANALYZE {connection.ops.quote_name(name)}") for name in _tables(MODELS)
        ]
        cursor.execute(
            f"CREATE TABLE {table} (position integer PRIMARY KEY, phase integer NOT NULL, "
            "statement text NOT NULL)"
        )
        cursor.executemany(
            f"INSERT INTO {table} (position, phase, statement) VALUES (%s, %s, %s)",
            [(position, phase, sql) for position, (phase, sql) in enumerate(statements)],
        )


class SetAsideError(RuntimeError):
    """Indexes or constraints a load set aside could not be built again."""


def finish_set_aside(using="default"):
    """Build what a load committed without (see _save_pending()), each statement in a
    transaction of its own that also crosses it off PENDING_TABLE; outside a transaction in
    PARALLEL_SESSIONS sessions at once, phase by phase (indexes and unique constraints, then
    the foreign keys' checks, then ANALYZE). Return only when all are built; raise SetAsideError
    naming what is still missing otherwise, and leave PENDING_TABLE for the next call."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(PENDING_TABLE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PENDING_TABLE])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f"SELECT phase, position, statement FROM {table} ORDER BY phase, position")
        pending = cursor.fetchall()
    errors = []
    if connection.in_atomic_block:
        # Other sessions cannot see what this transaction holds: here, one after another.
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            for _phase, position, statement in pending:
                cursor.execute(statement)
                cursor.execute(f"DELETE FROM {table} WHERE position = %s", [position])
    else:
        for phase in sorted({phase for phase, _position, _statement in pending}):
            jobs = [(p, sql) for ph, p, sql in pending if ph == phase]
            errors = _build_in_parallel(connection, jobs)
            if errors:
                break
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT statement FROM {table} ORDER BY phase, position")
        left = [row[0] for row in cursor.fetchall()]
        if not left and not errors:
            cursor.execute(f"DROP TABLE {table}")
            return
    failed = "; ".join(f"{sql}: {error}" for sql, error in errors) or "none failed"
    raise SetAsideError(
        f"The generated organisation was committed, but {len(left)} of the indexes and "
        f"constraints set aside for the load are not built yet ({failed}). They are listed in "
        f"the table {PENDING_TABLE}; build_large_org() or finish_set_aside() builds them. "
        f"Missing: {left}"
    )


def _build_in_parallel(connection, jobs):
    """Run ``jobs`` (position, statement) in up to PARALLEL_SESSIONS new sessions, each in its
    own transaction with its row of PENDING_TABLE deleted; return [(statement, error)] of those
    that failed (no job is started after a failure)."""
    table = connection.ops.quote_name(PENDING_TABLE)
    queue = list(reversed(jobs))
    errors = []
    lock = threading.Lock()

    def work():
        session = connection.__class__(dict(connection.settings_dict), connection.alias)
        try:
            while True:
                with lock:
                    if errors or not queue:
                        return
                    position, statement = queue.pop()
                try:
                    with session.cursor() as cursor:
                        cursor.execute("BEGIN")
                        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
                        cursor.execute(statement)
                        cursor.execute(f"DELETE FROM {table} WHERE position = %s", [position])
                        cursor.execute("COMMIT")
                except Exception as error:  # reported by finish_set_aside()
                    with lock:
                        errors.append((statement, error))
                    return
        finally:
            # Closing ends a transaction left open by a failure (rolled back).
            session.close()

    threads = [threading.Thread(target=work) for _ in range(min(PARALLEL_SESSIONS, len(jobs)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _record_created(using, model, now):
    """Record every row of ``model`` as created, as record_bulk() records a batch of them: one
    INSERT … SELECT copies the rows, in primary key order, into the historical table. Return
    (model, the highest history id before them), or None when ``model`` keeps no history."""
    if model._meta.label_lower not in HISTORY_MODELS:
        return None
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    connection = connections[using]
    quote = connection.ops.quote_name
    historical = model.history.model
    context = current_context()
    user = context.user if context.user is not None else _request_user()
    names, values = history_copy_columns(historical, connection)
    params = [
        connection.ops.adapt_datetimefield_value(now),
        context.reason,
        "+",
        getattr(user, "pk", None),
        context.source,
    ]
    if issubclass(historical, DepartmentHistoryBase):
        # Its index among its siblings in tree order, as sibling_positions() counts it.
        names.append("sibling_position")
        values.append(
            "ROW_NUMBER() OVER (PARTITION BY src.tree_id, src.parent_id ORDER BY src.lft) - 1"
        )
    table = quote(historical._meta.db_table)
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Nobody else adds records to it until the commit: the records with higher ids
            # are this load's (SQLite holds the write lock already).
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"SELECT COALESCE(MAX({quote(historical._meta.pk.column)}), 0) FROM {table}")
        (before,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(map(quote, names))}) "
            f"SELECT {', '.join(values)} FROM {_table(model, using)} AS src ORDER BY src.{pk}",
            params,
        )
    return model, before


def _log_created(using, written):
    """Add the Change rows of the records _record_created() wrote, in the order of the records,
    as log_held_back() adds those record_bulk() held back: on PostgreSQL numbered as they go
    in, under the feed's advisory lock, which is then held until the commit."""
    if not written:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(Change._meta.db_table)
    numbered = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if numbered:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK_KEY])
            # This transaction's rows logged before (by saves), first: numbers follow the order
            # of the log, as the trigger numbers it (migration 0007).
            cursor.execute(
                f"UPDATE {table} AS change SET seq = numbered.seq FROM ("
                f"SELECT id, nextval('{COMMIT_SEQUENCE}') AS seq FROM (SELECT id FROM "
                f"{table} WHERE seq IS NULL ORDER BY id) AS unnumbered"
                ") AS numbered WHERE change.id = numbered.id"
            )
        for model, before in written:
            cursor.execute(*_change_rows(connection, model, before, numbered))


def _change_rows(connection, model, before, numbered):
    """Return the INSERT … SELECT (and its parameters) of the Change rows of the records of
    ``model`` after history id ``before``, with the places record_bulk() gives them."""
    quote = connection.ops.quote_name
    historical = model.history.model
    label = model._meta.label_lower
    role = _ROLE_COLUMNS.get(label)
    team = _TEAM_COLUMNS.get(label)
    joined = ""
    if label == "departments.department":
        department = "h.id"
    elif label == "roles.role":
        department = "h.department_id"
    elif role:
        department = "r.department_id"
        joined = f"LEFT JOIN {quote(Role._meta.db_table)} AS r ON r.id = h.{quote(role)}"
    else:
        department = NO_ID
    role_value = "h.id" if label == "roles.role" else (f"h.{quote(role)}" if role else NO_ID)
    names = ["model", "history_id", "object_id", "history_date", "kinds", "department_id"]
    names += ["role_id", "team_id", "user_id"]
    values = ["%s", "h.history_id", "h.id", "h.history_date", "%s", department, role_value]
    values += [f"h.{quote(team)}" if team else NO_ID, "h.history_user_id"]
    aliases = [f"c{index}" for index in range(len(values))]
    table = quote(Change._meta.db_table)
    if numbered:
        # Numbered in the order of the records: nextval() over the sorted rows.
        seq = f"nextval('{COMMIT_SEQUENCE}')"
    else:
        # The write lock is held (BEGIN IMMEDIATE): numbering now is commit order.
        seq = f"(SELECT COALESCE(MAX(seq), 0) FROM {table}) + ROW_NUMBER() OVER (ORDER BY c1)"
    ordered = (
        f"SELECT {', '.join(f'{v} AS {a}' for v, a in zip(values, aliases, strict=True))} "
        f"FROM {quote(historical._meta.db_table)} AS h {joined} "
        f"WHERE h.{quote(historical._meta.pk.column)} > %s ORDER BY h.history_id"
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(map(quote, [*names, 'seq']))}) "
        f"SELECT {', '.join(aliases)}, {seq} FROM ({ordered}) AS ordered"
    )
    kinds = ",".join(change_kinds(label, {"history_type": "+"}, None))
    return sql, [label, kinds, before]


def _analyze(using, models=MODELS):
    """Give PostgreSQL's planner the statistics of the tables just filled, as autovacuum would
    a little later: without them it plans the branch totals of a big department as nested
    loops over every row (seconds instead of milliseconds at 10,000 departments)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = _tables(models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(map(quote, tables))}")


def reset_id_sequences(using="default"):
    """Move PostgreSQL's id sequences past ids written explicitly (SQLite follows by itself)."""
    from django.core.management.color import no_style

    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), list(MODELS))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
