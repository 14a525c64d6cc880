"""The organisation as of a moment, handed to the same builders as today's organisation.

rows_as_of() rebuilds plain rows from history (three queries whatever the date); here they
become unsaved model instances with nested-set numbers of their own and the annotations the
chart reads, so the chart (departments.views) and the tree API's serializer build from them
exactly as they build from the database.
"""

from mptt.utils import get_cached_trees

from departments.models import Department
from orgportal.changes.states import OrganisationRows
from roles.models import Role

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


def _instance(model, row):
    values = {key: value for key, value in row.items() if key not in INSTANCE_SKIP}
    instance = model(**values)
    instance._state.adding = False
    return instance


def department_instances(
    rows: OrganisationRows, *, with_roles=False, role_filter=None, root_code=None, depth=None
):
    """Return the top Department of ``rows`` with its children cached (get_cached_trees).

    ``root_code`` starts the tree at that department (LookupError when the rows have none of
    that code), ``depth`` cuts it off; nested-set numbers stay those of the whole tree, so
    descendant counts hold.
    """
    departments = []
    for row in with_nested_set([dict(row) for row in rows.departments]):
        department = _instance(Department, row)
        department.lft, department.rght = row["lft"], row["rght"]
        department.level, department.tree_id = row["level"], 1
        department.active_role_count = department.own_seats = department.own_seats_unknown = 0
        department.tree_roles = []
        departments.append(department)
    by_id = {department.pk: department for department in departments}
    for row in rows.roles:
        department = by_id.get(row["department_id"])
        if department is None:
            continue
        if row["is_active"]:
            department.active_role_count += 1
            if row["headcount"] is None:
                department.own_seats_unknown += 1
            else:
                department.own_seats += row["headcount"]
        if with_roles and (role_filter is None or role_filter(row)):
            role = _instance(Role, row)
            role.department = department
            department.tree_roles.append(role)
    if root_code is not None:
        root = next((d for d in departments if d.code == root_code), None)
        if root is None:
            raise LookupError(root_code)
        departments = [d for d in departments if root.lft <= d.lft and d.rght <= root.rght]
    if depth is not None and departments:
        departments = [d for d in departments if d.level <= departments[0].level + depth]
    tops = get_cached_trees(departments)
    return tops[0] if tops else None


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
