"""Organisation health as data: the API's JSON and the CSV download, in the active language."""

from orgportal.guide.health import LIST_LIMIT, band_label
from orgportal.i18n import localized

# What the CSV's columns hold; every figure of the health check is one row.
CSV_HEADER = ("section", "figure", "code", "name", "value", "other_code", "other_name", "detail")


def item_ref(item):
    """Return what the API says of a department, role or team a finding names."""
    return {
        "kind": item.kind,
        "code": item.code,
        "name": item.name,
        "url": item.url,
        "admin_url": item.admin_url,
    }


def capped(items, make):
    """Return a list as {"count": all, "items": the first LIST_LIMIT}."""
    return {"count": len(items), "items": [make(item) for item in items[:LIST_LIMIT]]}


def spans_data(spans):
    return {
        "target": band_label(spans.target),
        "managers": spans.managers,
        "in_target": spans.in_target,
        "largest": spans.largest,
        "average": spans.average,
        "bands": [
            {key: band[key] for key in ("band", "managers", "share", "is_target")}
            for band in spans.bands
        ],
        "outside_target": capped(
            spans.outside, lambda item: {**item_ref(item), "span": item.value}
        ),
    }


def duty_ref(item):
    return {"id": item.id, "text": item.text, "role": item_ref(item)}


def health_as_data(health):
    """Return the health check as the API's JSON (see serializers.InsightsSerializer)."""
    if health.root is None:
        return None
    return {
        "organisation": {"code": health.root["code"], "name": localized(health.root, "name")},
        "summary": {
            "departments": health.departments,
            "departments_below_root": health.departments_below_root,
            "depth": health.depth,
            "roles": health.roles,
            "duties": health.duties,
            "planned_seats": health.seats,
            "roles_without_headcount": health.roles_without_headcount,
            "similar_duty_pairs": len(health.overlaps),
        },
        "span_of_control": {
            "departments": spans_data(health.department_spans),
            "roles": spans_data(health.role_spans),
        },
        "depth": {
            "layers": health.depth,
            "leaves_by_depth": health.leaves_by_depth,
            "deepest": [
                {
                    "department": item_ref(entry["leaf"]),
                    "path": [item.code for item in entry["path"]],
                }
                for entry in health.deepest
            ],
        },
        "headcount": {
            "planned_seats": health.seats,
            "roles_without_headcount": health.roles_without_headcount,
            "branches": [
                {
                    "department": item_ref(entry["department"]),
                    "roles": entry["roles"],
                    "planned_seats": entry["seats"],
                    "roles_without_headcount": entry["roles_without_headcount"],
                }
                for entry in health.branches
            ],
            "without_planned_seats": capped(
                health.without_seats,
                lambda item: {**item_ref(item), "roles": item.value, "reason": item.detail},
            ),
        },
        "gaps": {
            "empty_departments": capped(health.empty_departments, item_ref),
            "roles_without_duties": capped(health.roles_without_duties, item_ref),
            "roles_without_reporting_line": capped(
                health.roles_without_line,
                lambda item: {**item_ref(item), "lead_role": item.detail},
            ),
            "teams_from_one_department": (
                capped(
                    health.single_department_teams,
                    lambda item: {**item_ref(item), "members": item.value, "status": item.detail},
                )
                if health.teams_installed
                else None
            ),
        },
        "overlap": {
            "threshold": health.threshold,
            "pairs": capped(
                health.overlaps,
                lambda pair: {
                    "similarity": pair.similarity,
                    "first": duty_ref(pair.first),
                    "second": duty_ref(pair.second),
                },
            ),
        },
    }


def health_csv_rows(health):
    """Yield the CSV's rows: the header, then every figure, every list in full."""
    yield CSV_HEADER
    if health.root is None:
        return
    summary = health_as_data(health)["summary"]
    for figure, value in summary.items():
        yield ("summary", figure, "", "", value, "", "", "")
    for section, spans in (
        ("department_span", health.department_spans),
        ("role_span", health.role_spans),
    ):
        yield (section, "target_band", "", "", band_label(spans.target), "", "", "")
        for band in spans.bands:
            yield (section, f"band {band['band']}", "", "", band["managers"], "", "", band["share"])
        for item in spans.outside:
            yield (section, "outside_target", item.code, item.name, item.value, "", "", "")
    for entry in health.leaves_by_depth:
        yield ("depth", "leaves", "", "", entry["leaves"], "", "", f"layers={entry['layers']}")
    for entry in health.deepest:
        leaf = entry["leaf"]
        path = " / ".join(item.code for item in entry["path"])
        yield ("depth", "deepest", leaf.code, leaf.name, leaf.value, "", "", path)
    for entry in health.subtrees:
        department = entry["department"]
        yield (
            "headcount",
            "planned_seats_in_subtree",
            department.code,
            department.name,
            entry["seats"],
            "",
            "",
            f"roles={entry['roles']}; without_headcount={entry['roles_without_headcount']}",
        )
    for item in health.without_seats:
        yield (
            "headcount",
            "no_planned_seats",
            item.code,
            item.name,
            item.value,
            "",
            "",
            item.detail,
        )
    for figure, items in (
        ("empty_department", health.empty_departments),
        ("role_without_duties", health.roles_without_duties),
    ):
        for item in items:
            yield ("gaps", figure, item.code, item.name, "", "", "", "")
    for item in health.roles_without_line:
        yield ("gaps", "role_without_reporting_line", item.code, item.name, "", item.detail, "", "")
    for item in health.single_department_teams:
        yield (
            "gaps",
            "team_from_one_department",
            item.code,
            item.name,
            item.value,
            "",
            "",
            item.detail,
        )
    for pair in health.overlaps:
        yield (
            "overlap",
            "similar_duties",
            pair.first.code,
            pair.first.text,
            pair.similarity,
            pair.second.code,
            pair.second.text,
            "",
        )
