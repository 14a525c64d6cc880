"""A check of the department role totals that the database keeps (models.DepartmentRoleTotals).

The triggers of migration 0006 keep them; this recomputes them from the roles, for tests and
for anyone who wants to see that they still agree.
"""

from django.db.models import Count, Q, Sum

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


def total_problems():
    """Return a line for each department whose kept totals differ from its roles' (none when
    they agree)."""
    kept = {
        pk: (roles, seats, unknown)
        for pk, roles, seats, unknown in DepartmentRoleTotals.objects.values_list(
            "department_id", "roles", "seats", "seats_unknown"
        )
    }
    expected = recounted()
    return [
        f"department {pk}: kept {kept.get(pk)}, counted {expected.get(pk)}"
        for pk in sorted(kept.keys() | expected.keys())
        if kept.get(pk) != expected.get(pk)
    ]
