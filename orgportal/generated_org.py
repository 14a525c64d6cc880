"""Generated organisations of any size, written in bulk, for the tests and `make bench`.

One pass computes every department's nested-set fields and primary key, so departments, roles
and duties are written in batches of rows (COPY on PostgreSQL) and nothing is updated
afterwards; each batch is recorded in the history as created.
"""

import functools
from dataclasses import dataclass
from functools import cache

from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from departments.locking import lock_tree
from departments.models import Department
from departments.services import nested_set_fields, tree_problems
from orgportal.cache import org_changed
from orgportal.changes.records import log_held_back, record_bulk
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


@dataclass(frozen=True)
class GeneratedOrg:
    """What build_large_org() wrote."""

    root: Department
    departments: int
    roles: int
    duties: int
    teams: int = 0


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

    Department i's parent is department (i - 1) // fanout: a full tree, level by level. The
    nested set is written under the tree lock in one transaction and checked with
    tree_problems() before the transaction commits; the organisation cache is invalidated.
    """
    if departments < 1:
        raise ValueError("An organisation has at least one department.")
    with transaction.atomic(using=using):
        lock_tree(using)
        if Department._base_manager.using(using).exists():
            raise ValueError("build_large_org() writes into an empty department table.")
        parents = [None] + [(index - 1) // fanout for index in range(1, departments)]
        fields = nested_set_fields(parents)
        held_back = []
        first_id = _next_id(Department, using)
        _insert(
            using,
            Department,
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
            held_back,
        )
        first_role = _next_id(Role, using)
        role_count = departments * roles_per_department
        _insert(
            using,
            Role,
            (
                dict(
                    id=first_role + index * roles_per_department + number,
                    code=f"gen-role-{index}-{number}",
                    department_id=first_id + index,
                    **_texts(Role, title=(f"生成岗位{number}", f"Generated role {number}")),
                    headcount=number + 1,
                    sort_order=number,
                )
                for index in range(departments)
                for number in range(roles_per_department)
            ),
            held_back,
        )
        first_duty = _next_id(Duty, using)
        _insert(
            using,
            Duty,
            (
                _duty(first_duty, role * duties_per_role + number, first_role + role, number)
                for role in range(role_count)
                for number in range(duties_per_role)
            ),
            held_back,
        )
        _insert_teams(
            using,
            teams=teams,
            members_per_team=members_per_team,
            role_id=lambda department, number: (
                first_role
                + (department % departments) * roles_per_department
                + number % roles_per_department
            ),
            departments=departments,
            held_back=held_back,
        )
        # The change log last, numbered as it goes in (see log_held_back()).
        log_held_back(held_back, using=using)
        reset_id_sequences(using)
        _analyze(using)
        problems = tree_problems(using=using)
        if problems:
            raise AssertionError(f"The generated tree is invalid: {problems[:5]}")
        org_changed(using=using)
    root = Department.objects.using(using).get(pk=first_id)
    return GeneratedOrg(
        root=root,
        departments=departments,
        roles=role_count,
        duties=role_count * duties_per_role,
        teams=teams,
    )


def _insert_teams(using, *, teams, members_per_team, role_id, departments, held_back):
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
        held_back,
    )
    first_member = _next_id(TeamMember, using)
    _insert(
        using,
        TeamMember,
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
        held_back,
    )


def _duty(first_id, index, role_id, number):
    rare = f"，{RARE_TERM}" if index % RARE_EVERY == RARE_EVERY - 1 else ""
    text = f"{BROAD_TERM}{number}：按月复盘第{index + 1}项工作{rare}"
    # Converted piece by piece (numbers split the phrases), which is what converting the whole
    # text gives, 40 times faster; tests/orgportal/test_generated_org.py checks that it is.
    traditional = (
        f"{_traditional(BROAD_TERM)}{number}{_traditional('：按月复盘第')}{index + 1}"
        f"{_traditional('项工作')}{_traditional(rare)}"
    )
    return dict(
        id=first_id + index,
        role_id=role_id,
        **_texts(
            Duty,
            area=(DUTY_AREAS[number % len(DUTY_AREAS)], ""),
            text=(text, ""),
            traditional={"text": traditional},
        ),
        sort_order=number,
    )


_traditional = cache(to_traditional)


def _texts(model, traditional=None, **texts):
    """Return the column values of ``texts`` (field: (simplified, English)) for _insert().

    The traditional columns hold the automatic conversion, as a save would write them
    (orgportal.translated); ``traditional`` gives conversions already made. The field's own
    column holds the simplified text, as a save in the default language writes it.
    """
    values = {}
    for field in translated_fields(model):
        source, english = texts.get(field, ("", ""))
        values[field] = source
        values[f"{field}_zh_hans"] = source
        values[f"{field}_en"] = english
        values[f"{field}_zh_hant"] = (traditional or {}).get(field) or _traditional(source)
    values["zh_hant_auto"] = sorted(translated_fields(model))
    return values


def _next_id(model, using):
    highest = model._base_manager.using(using).aggregate(highest=Max("pk"))["highest"]
    return (highest or 0) + 1


def _insert(using, model, rows, held_back):
    """Insert ``rows`` (dicts of column values by attname; the model's defaults fill the rest)
    in batches, each recorded in the history as created (one record per row), their change
    log held back in ``held_back`` for log_held_back().

    No model instances: on PostgreSQL the rows go through COPY, elsewhere one executemany()
    per batch. Building 1.5 million instances (django-modeltranslation rewrites every
    keyword) and compiling their INSERTs took most of the time of a bulk_create.
    """
    connection = connections[using]
    columns = _Columns(model, connection)
    batch = []
    for row in rows:
        batch.append(columns.values(row))
        if len(batch) == BATCH_SIZE:
            _insert_batch(using, model, columns, batch, held_back)
            batch = []
    if batch:
        _insert_batch(using, model, columns, batch, held_back)


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

    def __init__(self, model, connection):
        self.fields = model._meta.concrete_fields
        self.names = [field.column for field in self.fields]
        self.attnames = [field.attname for field in self.fields]
        now = timezone.now()
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

    def values(self, row):
        unknown = row.keys() - set(self.attnames)
        if unknown:
            raise ValueError(f"No such columns: {sorted(unknown)}")
        values = []
        for attname in self.attnames:
            value = row.get(attname, self.defaults[attname])
            prepare = self.prepare.get(attname)
            values.append(value if prepare is None else prepare(value))
        return values


def _insert_batch(using, model, columns, batch, held_back):
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(map(quote, columns.names))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in batch:
                    copy.write_row(values)
        else:
            placeholders = ", ".join(["%s"] * len(columns.names))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)
    pk = columns.attnames.index(model._meta.pk.attname)
    first, last = batch[0][pk], batch[-1][pk]
    written = model._base_manager.using(using).filter(pk__range=(first, last))
    record_bulk(model, written, history_type="+", using=using, held_back=held_back)


def _analyze(using):
    """Give PostgreSQL's planner the statistics of the tables just filled, as autovacuum would
    a little later: without them it plans the branch totals of a big department as nested
    loops over every row (seconds instead of milliseconds at 10,000 departments)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in (Department, Role, Duty, ProjectTeam, TeamMember)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(map(quote, tables))}")


def reset_id_sequences(using="default"):
    """Move PostgreSQL's id sequences past ids written explicitly (SQLite follows by itself)."""
    from django.core.management.color import no_style

    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(
        no_style(), [Department, Role, Duty, ProjectTeam, TeamMember]
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
