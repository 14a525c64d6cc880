"""Floors: the least work that gives the same answer as a benchmarked line, timed beside it.

A floor reads the same rows with ``values()`` and builds the answer in one plain pass. The ratio
of a line to its floor says how much the portal adds; on a shared, noisy machine the ratio is
steadier than either time.
"""

import json
from functools import reduce
from operator import or_

import yaml
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Q
from django.utils.html import escape

from departments.models import Department
from orgportal.cache import org_changed
from orgportal.generated_org import nested_set_fields, reset_id_sequences
from orgportal.guide.services import profile_file_values
from orgportal.i18n import column, columns, fallback_order, localized, to_traditional
from orgportal.orgfiles.orgfile import DEPARTMENT_TEXTS, DUTY_TEXTS, ROLE_TEXTS
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember

TEXTS = ("name", "tagline", "positioning", "description")
BATCH_SIZE = 5000


def language_columns(*fields):
    """Return the columns a page in the active language reads for ``fields``: its own and
    those it falls back to."""
    return [column(field, language) for field in fields for language in fallback_order()]


def file_texts(row, fields):
    """Return the texts of ``fields`` of a values() row as the organisation file writes them."""
    automatic = row["zh_hant_auto"]
    texts = {}
    for field in fields:
        texts[field] = row[column(field, "zh-hans")] or ""
        if row[column(field, "en")]:
            texts[f"{field}_en"] = row[column(field, "en")]
        if field not in automatic and row[column(field, "zh-hant")]:
            texts[f"{field}_zh_hant"] = row[column(field, "zh-hant")]
    return texts


def column_values(spec, fields):
    """Return the columns of ``fields`` for bulk_create from a file's mapping, converting the
    traditional texts nobody wrote, and the automatic fields."""
    values = {"zh_hant_auto": []}
    for field in fields:
        source = spec.get(field) or ""
        values[column(field, "zh-hans")] = source
        values[column(field, "en")] = spec.get(f"{field}_en") or ""
        traditional = spec.get(f"{field}_zh_hant") or ""
        if not traditional or traditional == to_traditional(source):
            traditional = to_traditional(source)
            values["zh_hant_auto"].append(field)
        values[column(field, "zh-hant")] = traditional
    values["zh_hant_auto"].sort()
    return values


def tree_json() -> bytes:
    """Return the department tree as nested JSON: values(), a parent map and json.dumps."""
    rows = Department.objects.order_by("tree_id", "lft").values(
        "id", "parent_id", "lft", "rght", "level", "code", "is_active", *language_columns(*TEXTS)
    )
    nodes = {}
    root = None
    for row in rows:
        node = {
            "code": row["code"],
            "url": f"http://testserver/api/v1/departments/{row['code']}/",
            **{name: localized(row, name) for name in TEXTS},
            "is_active": row["is_active"],
            "level": row["level"],
            "descendant_count": (row["rght"] - row["lft"] - 1) // 2,
            "roles": None,
            "children": [],
        }
        nodes[row["id"]] = node
        if row["parent_id"] is None:
            root = node
        else:
            nodes[row["parent_id"]]["children"].append(node)
    return json.dumps(root, ensure_ascii=False, separators=(",", ":")).encode()


def chart_html() -> str:
    """Return the active departments as nested lists of links: values() and one HTML join."""
    rows = (
        Department.objects.filter(is_active=True)
        .order_by("tree_id", "lft")
        .values("code", "level", *language_columns("name", "tagline"))
    )
    parts = []
    depth = -1
    for row in rows:
        code, name, tagline, level = (
            row["code"],
            localized(row, "name"),
            localized(row, "tagline"),
            row["level"],
        )
        if level > depth:
            parts.append("<ul>" * (level - depth))
        else:
            parts.append("</li>" + "</ul></li>" * (depth - level))
        parts.append(
            f'<li><a href="/departments/{code}/">{escape(name)}</a><small>{escape(tagline)}</small>'
        )
        depth = level
    parts.append("</li></ul>" * (depth + 1))
    return "".join(parts)


def branch_html(code: str, limit: int) -> str:
    """Return a department's first ``limit`` active children as a list of links, each with
    the departments below it and the active roles and seats of its branch: the children's
    ``values()``, one grouped query of the roles in their subtrees, and one HTML join (what a
    chart branch's fragment shows on its cards)."""
    parent = Department.objects.values("pk").get(code=code)
    rows = list(
        Department.objects.filter(parent_id=parent["pk"], is_active=True)
        .order_by("lft")
        .values("code", "lft", "rght", *language_columns("name", "tagline"))[:limit]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.lft, COUNT(r.id), COALESCE(SUM(r.headcount), 0) FROM roles_role r "
            "JOIN departments_department d ON d.id = r.department_id "
            "JOIN departments_department c ON c.tree_id = d.tree_id "
            "AND d.lft BETWEEN c.lft AND c.rght "
            "WHERE c.parent_id = %s AND c.is_active AND d.is_active AND r.is_active "
            "GROUP BY c.lft",
            [parent["pk"]],
        )
        totals = {lft: (count, seats) for lft, count, seats in cursor.fetchall()}
    parts = ["<ul>"]
    for row in rows:
        below = (row["rght"] - row["lft"] - 1) // 2
        count, seats = totals.get(row["lft"], (0, 0))
        parts.append(
            f'<li><a href="/departments/{row["code"]}/">{escape(localized(row, "name"))}</a>'
            f"<small>{escape(localized(row, 'tagline'))}</small>"
            f"<span>{below}</span><span>{count}</span><span>{seats}</span></li>"
        )
    parts.append("</ul>")
    return "".join(parts)


def weasyprint_alone(html: str) -> bytes:
    """Return the handbook's HTML, made beforehand, as PDF through WeasyPrint alone."""
    import weasyprint
    from django.contrib.staticfiles import finders

    stylesheet = weasyprint.CSS(filename=finders.find("css/handbook.css"))
    return weasyprint.HTML(string=html).write_pdf(stylesheets=[stylesheet])


def duty_search(term: str) -> list:
    """Return the first 101 duties whose text or area contains ``term`` in any language: one
    query with a limit."""
    matches = reduce(or_, (Q(**{f"{name}__icontains": term}) for name in columns(*DUTY_TEXTS)))
    return list(Duty.objects.filter(matches).order_by().values_list("id", "text_zh_hans")[:101])


def subtree_shift(*, tree_id: int, low: int, high: int, offset: int) -> None:
    """Shift every edge between ``low`` and ``high`` by ``offset``: one UPDATE, committed.

    These are the rows a nested-set move rewrites; the caller shifts them back afterwards.
    """
    table = connection.ops.quote_name(Department._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "
            "lft = CASE WHEN lft BETWEEN %s AND %s THEN lft + %s ELSE lft END, "
            "rght = CASE WHEN rght BETWEEN %s AND %s THEN rght + %s ELSE rght END "
            "WHERE tree_id = %s AND (lft BETWEEN %s AND %s OR rght BETWEEN %s AND %s)",
            [low, high, offset, low, high, offset, tree_id, low, high, low, high],
        )


def export_yaml(path) -> None:
    """Write the organisation as YAML: three values() queries, nested dicts, the C dumper."""
    duties = {}
    for row in Duty.objects.order_by("role_id", "sort_order", "pk").values(
        "role_id", "zh_hant_auto", *columns(*DUTY_TEXTS)
    ):
        duties.setdefault(row["role_id"], []).append(file_texts(row, DUTY_TEXTS))
    roles = {}
    for row in Role.objects.order_by("department_id", "sort_order", "pk").values(
        "id",
        "department_id",
        "code",
        "zh_hant_auto",
        *columns(*ROLE_TEXTS),
        "headcount",
        "reports_to__code",
    ):
        roles.setdefault(row.pop("department_id"), []).append(
            {
                "code": row["code"],
                **file_texts(row, ROLE_TEXTS),
                "headcount": row["headcount"],
                "reports_to": row["reports_to__code"],
                "duties": duties.get(row["id"], []),
            }
        )
    nodes = {}
    root = None
    for row in Department.objects.order_by("tree_id", "lft").values(
        "id", "parent_id", "code", "zh_hant_auto", *columns(*DEPARTMENT_TEXTS)
    ):
        node = {"code": row["code"], **file_texts(row, DEPARTMENT_TEXTS)}
        node["roles"] = roles.get(row["id"], [])
        node["departments"] = []
        nodes[row["id"]] = node
        if row["parent_id"] is None:
            root = node
        else:
            nodes[row["parent_id"]]["departments"].append(node)
    # The organisation profile closes the root mapping, as in the export.
    root.update(profile_file_values())
    with open(path, "w", encoding="utf-8") as file:
        yaml.dump(
            root,
            file,
            Dumper=yaml.CSafeDumper,
            allow_unicode=True,
            sort_keys=False,
            width=1000,
            default_flow_style=False,
        )


@transaction.atomic
def import_bulk(path) -> int:
    """Load an organisation file with the C loader into empty tables with bulk inserts.

    The nested set is computed in one pass; ``reports_to`` is left out (generated
    organisations have none). Return the number of departments written.
    """
    with open(path, encoding="utf-8") as file:
        data = yaml.load(file, Loader=yaml.CSafeLoader)
    specs = []
    parents = []
    stack = [(data, None)]
    while stack:
        spec, parent = stack.pop()
        parents.append(parent)
        specs.append(spec)
        index = len(specs) - 1
        stack.extend((child, index) for child in reversed(spec.get("departments") or []))
    departments = [
        Department(
            id=index + 1,
            parent_id=None if parent is None else parent + 1,
            code=spec["code"],
            **column_values(spec, DEPARTMENT_TEXTS),
            is_active=spec.get("is_active", True),
            lft=lft,
            rght=rght,
            level=level,
            tree_id=1,
        )
        for index, (spec, parent, (lft, rght, level)) in enumerate(
            zip(specs, parents, nested_set_fields(parents), strict=True)
        )
    ]
    Department.objects.bulk_create(departments, batch_size=BATCH_SIZE)
    roles = []
    duties = []
    for index, spec in enumerate(specs):
        for order, role_spec in enumerate(spec.get("roles") or []):
            roles.append(
                Role(
                    id=len(roles) + 1,
                    department_id=index + 1,
                    code=role_spec["code"],
                    **column_values(role_spec, ROLE_TEXTS),
                    headcount=role_spec.get("headcount"),
                    is_active=role_spec.get("is_active", True),
                    sort_order=order,
                )
            )
            duties.extend(
                Duty(role_id=len(roles), **column_values(duty, DUTY_TEXTS), sort_order=number)
                for number, duty in enumerate(role_spec.get("duties") or [])
            )
    Role.objects.bulk_create(roles, batch_size=BATCH_SIZE)
    Duty.objects.bulk_create(duties, batch_size=BATCH_SIZE)
    reset_id_sequences()
    return len(departments)


def empty_organisation() -> None:
    """Empty the project team, department, role and duty tables at once, for an import.

    PostgreSQL truncates them, leaving no dead rows to slow the import that follows.
    """
    tables = [
        TeamMember._meta.db_table,
        ProjectTeam._meta.db_table,
        Duty._meta.db_table,
        Role._meta.db_table,
        Department._meta.db_table,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks still pending in this transaction forbid a TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in connection.ops.sql_flush(no_style(), tables):
            cursor.execute(sql)
    org_changed()


def health_rows() -> int:
    """Read what organisation health reads, with no visibility filter and no work on it: every
    department's tree columns, every role with its duty count, every duty's text."""
    departments = list(Department.objects.values_list("id", "parent_id", "level", "code"))
    roles = list(
        Role.objects.order_by().values_list("id", "department_id", "reports_to_id", "headcount")
    )
    duties = list(Duty.objects.order_by().values_list("id", "role_id", "text_zh_hans"))
    return len(departments) + len(roles) + len(duties)
