"""A check of the department role totals that the database keeps (models.DepartmentRoleTotals).

The triggers of migrations 0006 and 0007 keep them; this recomputes them from the roles and
the departments, for tests and for anyone who wants to see that they still agree.
"""

from django.db.models import Count, Q, Sum

from departments.models import Department
from roles.models import DepartmentRoleTotals, Role


def recounted():
    """Return {department pk: (active roles, their seats, those without a headcount)},
    counted from the roles themselves, for the departments that have active roles."""
    rows = (
        Role._base_manager.filter(is_active=True)
        .order_by()
        .values("department_id")
        .annotate(
            count=Count("pk"),
            seats=Sum("headcount", default=0),
            unknown=Count("pk", filter=Q(headcount__isnull=True)),
        )
        .values_list("department_id", "count", "seats", "unknown")
    )
    return {pk: (count, int(seats or 0), unknown) for pk, count, seats, unknown in rows}


def recounted_branches():
    """Return {department pk: (own roles, seats, without headcount, branch roles, branch
    seats, branch without headcount)} for the departments whose branch has active roles.

    Counted from scratch, bottom-up as departments.tree.load_tree() adds up its totals: an
    active department adds its active children's branches; an archived one counts its own
    roles only, and nothing below it counts above it.
    """
    own = recounted()
    rows = list(Department._base_manager.values_list("pk", "parent_id", "is_active"))
    active = {pk: is_active for pk, _parent, is_active in rows}
    children = {}
    for pk, parent, _active in rows:
        children.setdefault(parent, []).append(pk)
    # Parents before children by the parent links (not the nested set, which this checks
    # nothing of): back from the last, each branch is complete before its parent takes it.
    order = []
    stack = list(children.get(None, []))
    while stack:
        pk = stack.pop()
        order.append(pk)
        stack.extend(children.get(pk, []))
    parents = {pk: parent for pk, parent, _active in rows}
    branch = {pk: list(own.get(pk, (0, 0, 0))) for pk in active}
    for pk in reversed(order):
        parent = parents[pk]
        if parent is not None and active[pk] and active[parent]:
            for index, value in enumerate(branch[pk]):
                branch[parent][index] += value
    return {pk: (*own.get(pk, (0, 0, 0)), *totals) for pk, totals in branch.items() if totals[0]}


def total_problems():
    """Return a line for each department whose kept totals, its own or its branch's, differ
    from a recount (none when they agree)."""
    kept = {
        pk: tuple(int(value) for value in values)
        for pk, *values in DepartmentRoleTotals.objects.values_list(
            "department_id",
            "roles",
            "seats",
            "seats_unknown",
            "branch_roles",
            "branch_seats",
            "branch_seats_unknown",
        )
    }
    expected = recounted_branches()
    return [
        f"department {pk}: kept {kept.get(pk)}, counted {expected.get(pk)}"
        for pk in sorted(kept.keys() | expected.keys())
        if kept.get(pk) != expected.get(pk)
    ]
