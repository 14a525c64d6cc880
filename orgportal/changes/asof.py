"""The organisation as of a moment, handed to the same builders as today's organisation.

rows_as_of() rebuilds plain rows from history (a fixed number of queries whatever the date);
here they get nested-set numbers of their own, so the chart (departments.tree.tree_from_rows)
builds from them as it builds from the database, and the tree API answers from them in the
shape of its answer for today (tree_data_as_of()), without model instances or serializers.
"""

from orgportal.changes.states import OrganisationRows

INSTANCE_SKIP = frozenset({"history_type", "sibling_position", "level", "lft", "rght"})


def with_nested_set(departments):
    """Give rows in tree order (with ``level``) the nested-set numbers of their tree."""
    counter = 0
    open_rows = []
    for row in departments:
        while open_rows and open_rows[-1]["level"] >= row["level"]:
            counter += 1
            open_rows.pop()["rght"] = counter
        counter += 1
        row["lft"] = counter
        open_rows.append(row)
    while open_rows:
        counter += 1
        open_rows.pop()["rght"] = counter
    return departments


def tree_rows(rows: OrganisationRows):
    """Return the departments of ``rows`` as departments.tree rows, and their role totals."""
    departments = [
        {**row, "pk": row["id"], "tree_id": 1}
        for row in with_nested_set([dict(row) for row in rows.departments])
    ]
    totals = {}
    for role in rows.roles:
        if not role["is_active"]:
            continue
        count, seats, unknown = totals.get(role["department_id"], (0, 0, 0))
        totals[role["department_id"]] = (
            count + 1,
            seats + (role["headcount"] or 0),
            unknown + (role["headcount"] is None),
        )
    return departments, totals


def tree_data_as_of(
    request, rows: OrganisationRows, *, include_roles, every_role, root_code=None, depth=None
):
    """Return the tree API's answer (departments.api.views.tree_data()) for ``rows``: plain
    data of the same shape, built in one pass over the rows, with no model instance.

    ``rows`` holds what the reader may see (visible_rows() for staff), so the descendant counts
    are those of the rows; ``root_code`` starts at that department (LookupError when the rows
    have none), ``depth`` cuts it off. None without departments.
    """
    from django.urls import reverse

    from departments.api.views import TREE_TEXTS
    from orgportal.i18n import column, fallback_order

    order = fallback_order()

    def first_text(row, field):
        for language in order:
            value = row.get(column(field, language))
            if value:
                return value
        return ""

    def url_template(name):
        return request.build_absolute_uri(reverse(name, kwargs={"code": "__code__"}))

    department_url, role_url = (
        url_template("api:department-detail"),
        url_template("api:role-detail"),
    )
    departments = with_nested_set([dict(row) for row in rows.departments])
    if root_code is not None:
        root = next((row for row in departments if row["code"] == root_code), None)
        if root is None:
            raise LookupError(root_code)
        departments = [
            row for row in departments if root["lft"] <= row["lft"] and row["rght"] <= root["rght"]
        ]
    if depth is not None and departments:
        departments = [
            row for row in departments if row["level"] <= departments[0]["level"] + depth
        ]
    roles = None
    if include_roles:
        roles = {}
        for row in rows.roles:
            if every_role or row["is_active"]:
                roles.setdefault(row["department_id"], []).append(
                    {
                        "code": row["code"],
                        "url": role_url.replace("__code__", row["code"]),
                        "title": first_text(row, "title"),
                        "headcount": row["headcount"],
                        "is_active": row["is_active"],
                    }
                )
    top = None
    by_pk = {}
    for row in departments:
        code = row["code"]
        node = {"code": code, "url": department_url.replace("__code__", code)}
        for name in TREE_TEXTS:
            node[name] = first_text(row, name)
        node.update(
            is_active=row["is_active"],
            level=row["level"],
            descendant_count=(row["rght"] - row["lft"] - 1) // 2,
            roles=None if roles is None else roles.get(row["id"], []),
            children=[],
        )
        if top is None:
            top = node
        elif row["parent_id"] in by_pk:
            by_pk[row["parent_id"]]["children"].append(node)
        else:
            continue
        by_pk[row["id"]] = node
    return top
