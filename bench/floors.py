"""Floors: the least work that gives the same answer as a benchmarked line, timed beside it.

A floor reads the same rows with ``values()`` and builds the answer in one plain pass. The ratio
of a line to its floor says how much the portal adds; on a shared, noisy machine the ratio is
steadier than either time.
"""

import json

import yaml
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils.html import escape

from departments.models import Department
from orgportal.cache import org_changed
from orgportal.generated_org import nested_set_fields, reset_id_sequences
from roles.models import Duty, Role

TREE_FIELDS = ("code", "name", "name_en", "tagline", "positioning", "description", "is_active")
BATCH_SIZE = 5000


def tree_json() -> bytes:
    """Return the department tree as nested JSON: values(), a parent map and json.dumps."""
    rows = Department.objects.order_by("tree_id", "lft").values(
        "id", "parent_id", "lft", "rght", "level", *TREE_FIELDS
    )
    nodes = {}
    root = None
    for row in rows:
        node = {
            "code": row["code"],
            "url": f"http://testserver/api/v1/departments/{row['code']}/",
            **{name: row[name] for name in TREE_FIELDS[1:]},
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
        .values_list("code", "name", "tagline", "level")
    )
    parts = []
    depth = -1
    for code, name, tagline, level in rows:
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


def weasyprint_alone(html: str) -> bytes:
    """Return the handbook's HTML, made beforehand, as PDF through WeasyPrint alone."""
    import weasyprint
    from django.contrib.staticfiles import finders

    stylesheet = weasyprint.CSS(filename=finders.find("css/handbook.css"))
    return weasyprint.HTML(string=html).write_pdf(stylesheets=[stylesheet])


def duty_search(term: str) -> list:
    """Return the first 101 duties whose text contains ``term``: one query with a limit."""
    return list(
        Duty.objects.filter(text__icontains=term).order_by().values_list("id", "text")[:101]
    )


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
    for role_id, area, text in Duty.objects.order_by("role_id", "sort_order", "pk").values_list(
        "role_id", "area", "text"
    ):
        duties.setdefault(role_id, []).append({"area": area, "text": text})
    roles = {}
    for row in Role.objects.order_by("department_id", "sort_order", "pk").values(
        "id",
        "department_id",
        "code",
        "title",
        "title_en",
        "summary",
        "headcount",
        "reports_to__code",
    ):
        roles.setdefault(row.pop("department_id"), []).append(
            {
                "code": row["code"],
                "title": row["title"],
                "title_en": row["title_en"],
                "summary": row["summary"],
                "headcount": row["headcount"],
                "reports_to": row["reports_to__code"],
                "duties": duties.get(row["id"], []),
            }
        )
    nodes = {}
    root = None
    for row in Department.objects.order_by("tree_id", "lft").values(
        "id", "parent_id", *TREE_FIELDS[:-1]
    ):
        node = {name: row[name] for name in TREE_FIELDS[:-1]}
        node["roles"] = roles.get(row["id"], [])
        node["departments"] = []
        nodes[row["id"]] = node
        if row["parent_id"] is None:
            root = node
        else:
            nodes[row["parent_id"]]["departments"].append(node)
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
            name=spec["name"],
            name_en=spec.get("name_en") or "",
            tagline=spec.get("tagline") or "",
            positioning=spec.get("positioning") or "",
            description=spec.get("description") or "",
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
                    title=role_spec["title"],
                    title_en=role_spec.get("title_en") or "",
                    summary=role_spec.get("summary") or "",
                    headcount=role_spec.get("headcount"),
                    is_active=role_spec.get("is_active", True),
                    sort_order=order,
                )
            )
            duties.extend(
                Duty(
                    role_id=len(roles),
                    area=duty.get("area") or "",
                    text=duty["text"],
                    sort_order=number,
                )
                for number, duty in enumerate(role_spec.get("duties") or [])
            )
    Role.objects.bulk_create(roles, batch_size=BATCH_SIZE)
    Duty.objects.bulk_create(duties, batch_size=BATCH_SIZE)
    reset_id_sequences()
    return len(departments)


def empty_organisation() -> None:
    """Empty the department, role and duty tables at once, for an import into them.

    PostgreSQL truncates them, leaving no dead rows to slow the import that follows.
    """
    tables = [Duty._meta.db_table, Role._meta.db_table, Department._meta.db_table]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks still pending in this transaction forbid a TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in connection.ops.sql_flush(no_style(), tables):
            cursor.execute(sql)
    org_changed()
