"""Organisation health (组织体检): figures about the structure, computed in a fixed number of
queries from ``values()`` rows.

``organisation_health()`` reads the visible organisation (what staff see: nothing archived,
nothing below an archived department) in four queries, five with project teams, and returns
plain data that pages, the API and the CSV download share, and that may be cached:

- span of control: sub-departments per department and direct reports per role, as the share
  of managers in the bands 1, 2–3, 4–7, 8–12 and 13+, against a target band;
- depth: layers from the company (layer 1) to each leaf, and the deepest branches;
- headcount: planned seats of each department's subtree, and subtrees that plan none;
- gaps: empty departments, roles without duties, roles without a reporting line where their
  department has a lead role, project teams drawn from one department;
- overlap: pairs of duties of different roles that read alike (see ``similar_duties``).
"""

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.urls import reverse

from departments.models import Department
from orgportal.i18n import columns, localized
from roles.models import Duty, Role

# The span-of-control bands of org-design tools: (lowest, highest or None for no limit, label).
BANDS = ((1, 1, "1"), (2, 3, "2–3"), (4, 7, "4–7"), (8, 12, "8–12"), (13, None, "13+"))
# Two duties read alike when at least half of the character pairs (bigrams) of their
# normalised texts are shared: Jaccard similarity >= 0.5. See similar_duties().
SIMILARITY_THRESHOLD = 0.5
# Duties are compared only when they share a bigram that at most this many duties hold (see
# similar_duties): 负责 or 优化, in every other duty, tell nothing about what a duty does.
COMMON_DUTIES = 20
# How many items each list keeps on the page and in the API; the CSV has them all.
LIST_LIMIT = 100
DEEPEST_LIMIT = 10
TARGET_RE = re.compile(r"^\s*(\d+)\s*(?:[-–]\s*(\d+)|(\+))?\s*$")


def parse_band(text: str) -> tuple[int, int | None]:
    """Parse a target band such as "4-7", "4–7", "13+" or "5" into (lowest, highest or None)."""
    match = TARGET_RE.match(text or "")
    if not match:
        raise ValueError(f'"{text}" is not a band such as 4-7 or 13+')
    low = int(match.group(1))
    high = None if match.group(3) else int(match.group(2) or low)
    if low < 1 or (high is not None and high < low):
        raise ValueError(f'"{text}" is not a band such as 4-7 or 13+')
    return low, high


def band_label(band: tuple[int, int | None]) -> str:
    low, high = band
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}–{high}"


def in_band(value: int, band: tuple[int, int | None]) -> bool:
    low, high = band
    return value >= low and (high is None or value <= high)


@dataclass
class Item:
    """A department or role a finding names: its code, its row (for its name in every
    language), its figure and, for a pair, the other item."""

    kind: str
    id: int
    code: str
    row: dict
    value: object = None
    detail: object = ""

    @property
    def name(self):
        """Return the name (or a role's title) in the active language."""
        return localized(self.row, "title" if self.kind in ("role", "duty") else "name")

    @property
    def text(self):
        """Return a duty's text in the active language."""
        return localized(self.detail, "text") if self.kind == "duty" else ""

    @property
    def url(self):
        """Return the page that shows the item."""
        if self.kind == "department":
            return reverse("departments:detail", kwargs={"code": self.code})
        if self.kind == "team":
            return reverse("teams:detail", kwargs={"code": self.code})
        url = reverse("roles:detail", kwargs={"code": self.code})
        return f"{url}#duty-{self.id}" if self.kind == "duty" else url

    @property
    def admin_url(self):
        """Return the admin's change form that fixes what the finding says."""
        if self.kind == "department":
            return reverse("admin:departments_department_change", args=[self.id])
        if self.kind == "team":
            return reverse("admin:teams_projectteam_change", args=[self.id])
        return reverse("admin:roles_role_change", args=[self.row["id"]])


@dataclass
class SpanFigures:
    """The spans of one kind of manager (departments with sub-departments, roles with direct
    reports): how many managers in each band, the target, and those outside the target."""

    managers: int
    bands: list[dict]
    target: tuple[int, int | None]
    in_target: int
    outside: list[Item]
    largest: int
    average: float


@dataclass
class OverlapPair:
    first: Item
    second: Item
    similarity: float


@dataclass
class OrganisationHealth:
    root: dict | None
    departments: int = 0
    departments_below_root: int = 0
    roles: int = 0
    duties: int = 0
    seats: int = 0
    roles_without_headcount: int = 0
    depth: int = 0
    departments_by_layer: dict[int, int] = field(default_factory=dict)
    leaves_by_depth: list[dict] = field(default_factory=list)
    deepest: list[dict] = field(default_factory=list)
    department_spans: SpanFigures | None = None
    role_spans: SpanFigures | None = None
    branches: list[dict] = field(default_factory=list)
    subtrees: list[dict] = field(default_factory=list)
    without_seats: list[Item] = field(default_factory=list)
    empty_departments: list[Item] = field(default_factory=list)
    roles_without_duties: list[Item] = field(default_factory=list)
    roles_without_line: list[Item] = field(default_factory=list)
    teams_installed: bool = False
    teams: int = 0
    active_teams: int = 0
    cross_department_teams: int = 0
    single_department_teams: list[Item] = field(default_factory=list)
    overlaps: list[OverlapPair] = field(default_factory=list)
    threshold: float = SIMILARITY_THRESHOLD

    def departments_deeper_than(self, layers: int) -> int:
        """Return how many departments stand below layer ``layers`` (the company is layer 1)."""
        return sum(count for layer, count in self.departments_by_layer.items() if layer > layers)


def span_targets():
    """Return the target bands of departments and of roles, from the settings."""
    return (
        parse_band(settings.ORGPORTAL_SPAN_TARGET),
        parse_band(settings.ORGPORTAL_REPORTS_TARGET),
    )


def organisation_health() -> OrganisationHealth:
    """Measure the visible organisation; see the module's docstring for what."""
    department_target, role_target = span_targets()
    departments = list(
        Department.objects.visible()
        .order_by("tree_id", "lft")
        .values("id", "code", "parent_id", "level", *columns("name"))
    )
    if not departments:
        return OrganisationHealth(root=None)
    roles = list(
        Role.objects.visible()
        .annotate(duty_count=Count("duties"))
        .order_by("department__tree_id", "department__lft", "sort_order", "pk")
        .values(
            "id",
            "code",
            "department_id",
            "reports_to_id",
            "headcount",
            "duty_count",
            *columns("title"),
        )
    )
    duties = list(
        Duty.objects.visible()
        .order_by("role_id", "sort_order", "pk")
        .values("id", "role_id", *columns("text"))
    )
    by_id = {row["id"]: row for row in departments}
    children = defaultdict(list)
    for row in departments:
        if row["parent_id"] in by_id:
            children[row["parent_id"]].append(row["id"])
    root = departments[0]
    health = OrganisationHealth(
        root=root,
        departments=len(departments),
        departments_below_root=len(departments) - 1,
        roles=len(roles),
        duties=len(duties),
    )
    _depth(health, departments, children, by_id)
    health.department_spans = _spans(
        [
            (_item("department", row), len(children[row["id"]]))
            for row in departments
            if children[row["id"]]
        ],
        department_target,
    )
    role_rows = {row["id"]: row for row in roles}
    reports = Counter(row["reports_to_id"] for row in roles if row["reports_to_id"] in role_rows)
    health.role_spans = _spans(
        [(_item("role", row), reports[row["id"]]) for row in roles if reports[row["id"]]],
        role_target,
    )
    _headcount(health, departments, children, roles)
    _gaps(health, departments, children, roles, reports, role_rows)
    _teams(health)
    health.overlaps = similar_duties(duties, role_rows)
    return health


def _item(kind, row, value=None, detail=""):
    return Item(kind=kind, id=row["id"], code=row["code"], row=row, value=value, detail=detail)


def _depth(health, departments, children, by_id):
    """Layers from the root (layer 1) to every leaf, and the deepest leaves with their paths."""
    root_level = departments[0]["level"]
    health.departments_by_layer = dict(
        Counter(row["level"] - root_level + 1 for row in departments)
    )
    leaves = [row for row in departments if not children[row["id"]]]
    layers = Counter(row["level"] - root_level + 1 for row in leaves)
    health.depth = max(layers) if layers else 1
    health.leaves_by_depth = [
        {"layers": depth, "leaves": count} for depth, count in sorted(layers.items())
    ]
    deepest = [row for row in leaves if row["level"] - root_level + 1 == health.depth]
    for row in deepest[:DEEPEST_LIMIT]:
        path = []
        current = row
        while current is not None:
            path.append(current)
            current = by_id.get(current["parent_id"])
        health.deepest.append(
            {
                "leaf": _item("department", row, health.depth),
                "path": [_item("department", step) for step in reversed(path)],
            }
        )


def _spans(managers, target):
    """Summarise the spans of ``managers``, a list of (item, span)."""
    spans = [span for _manager, span in managers]
    counts = Counter()
    for span in spans:
        for low, high, label in BANDS:
            if in_band(span, (low, high)):
                counts[label] += 1
    total = len(managers)
    bands = [
        {
            "band": label,
            "low": low,
            "high": high,
            "managers": counts[label],
            "share": round(counts[label] / total, 4) if total else 0.0,
            "is_target": (low, high) == target,
        }
        for low, high, label in BANDS
    ]
    outside = [
        Item(**{**item.__dict__, "value": span})
        for item, span in managers
        if not in_band(span, target)
    ]
    return SpanFigures(
        managers=total,
        bands=bands,
        target=target,
        in_target=total - len(outside),
        outside=outside,
        largest=max(spans, default=0),
        average=round(sum(spans) / total, 2) if total else 0.0,
    )


def _headcount(health, departments, children, roles):
    """Planned seats and roles of every department's subtree, bottom-up in one pass."""
    own = defaultdict(lambda: [0, 0, 0])  # roles, seats, roles without a headcount
    for row in roles:
        figures = own[row["department_id"]]
        figures[0] += 1
        if row["headcount"] is None:
            figures[2] += 1
        else:
            figures[1] += row["headcount"]
    subtree = {}
    # Children come after their parent in tree order: walk it backwards.
    for row in reversed(departments):
        totals = list(own[row["id"]])
        for child in children[row["id"]]:
            for index, value in enumerate(subtree[child]):
                totals[index] += value
        subtree[row["id"]] = totals
    health.subtrees = [
        {
            "department": _item("department", row),
            "roles": subtree[row["id"]][0],
            "seats": subtree[row["id"]][1],
            "roles_without_headcount": subtree[row["id"]][2],
            "own_roles": own[row["id"]][0],
            "sub_departments": len(children[row["id"]]),
        }
        for row in departments
    ]
    root_totals = subtree[departments[0]["id"]]
    health.seats, health.roles_without_headcount = root_totals[1], root_totals[2]
    health.branches = [
        entry
        for entry in health.subtrees
        if entry["department"].id in children[departments[0]["id"]]
    ]
    health.without_seats = [
        Item(
            **{
                **entry["department"].__dict__,
                "value": entry["roles"],
                "detail": "no-roles" if not entry["roles"] else "no-headcount",
            }
        )
        for entry in health.subtrees
        if entry["seats"] == 0
    ]


def _gaps(health, departments, children, roles, reports, role_rows):
    """Empty departments, roles without duties, roles outside their department's line."""
    with_roles = {row["department_id"] for row in roles}
    health.empty_departments = [
        _item("department", row)
        for row in departments
        if row["id"] not in with_roles and not children[row["id"]]
    ]
    health.roles_without_duties = [_item("role", row) for row in roles if not row["duty_count"]]
    # A department's lead roles: its roles that another role of the same department reports to.
    leads = defaultdict(set)
    for row in roles:
        boss = role_rows.get(row["reports_to_id"])
        if boss is not None and boss["department_id"] == row["department_id"]:
            leads[row["department_id"]].add(boss["id"])
    health.roles_without_line = [
        _item("role", row, detail=role_rows[min(leads[row["department_id"]])]["code"])
        for row in roles
        if row["reports_to_id"] is None
        and leads[row["department_id"]]
        and row["id"] not in leads[row["department_id"]]
    ]


def _teams(health):
    """Project teams (issue 12's app, when installed): how many draw on more than the Owner's
    department, and which draw on one department only."""
    if not apps.is_installed("teams"):
        return
    health.teams_installed = True
    from teams.models import ProjectTeam, TeamMember  # noqa: PLC0415 - only when installed

    teams = list(
        ProjectTeam.objects.visible()
        .order_by("code")
        .values("id", "code", "status", "owner_id", "owner__department_id", *columns("name"))
    )
    members = defaultdict(set)
    for team_id, department_id in TeamMember.objects.filter(
        team__in=ProjectTeam.objects.visible(), role__in=Role.objects.visible()
    ).values_list("team_id", "role__department_id"):
        members[team_id].add(department_id)
    health.teams = len(teams)
    for row in teams:
        departments = members[row["id"]] | {row["owner__department_id"]}
        if row["status"] == "active":
            health.active_teams += 1
        if len(departments) > 1:
            if row["status"] == "active":
                health.cross_department_teams += 1
        else:
            health.single_department_teams.append(
                _item("team", row, value=len(members[row["id"]]), detail=row["status"])
            )


def normalise(text: str) -> str:
    """Return ``text`` for comparison: NFKC (full-width to half-width), case-folded, letters
    and digits only (punctuation and spaces say nothing about the duty)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in text if unicodedata.category(char)[0] in "LN")


def bigrams(text: str) -> frozenset[str]:
    """Return the set of character pairs of a normalised text (a single character alone)."""
    if len(text) < 2:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[index : index + 2] for index in range(len(text) - 1))


def similar_duties(duties, role_rows, threshold=SIMILARITY_THRESHOLD) -> list[OverlapPair]:
    """Return the pairs of duties of different roles that read alike, most alike first.

    Each duty's text (simplified Chinese, the source) is normalised and cut into character
    bigrams, which suit Chinese without a word segmenter; two duties read alike when the
    Jaccard similarity of their bigram sets (shared / all) is at least ``threshold``.
    Duties with the same normalised text always pair (similarity 1). Other duties are compared
    only when they share a telling bigram, one that at most COMMON_DUTIES duties hold: bigrams
    such as 负责 or 优化 match everything, and comparing only pairs that share a rarer one keeps
    the work growing with the organisation rather than with its square.
    """
    texts = {row["id"]: normalise(row["text_zh_hans"]) for row in duties}
    rows = {row["id"]: row for row in duties}
    sets = {duty: bigrams(text) for duty, text in texts.items()}
    frequency = Counter(gram for grams in sets.values() for gram in grams)
    candidates = set()
    same_text = defaultdict(list)
    for duty, text in texts.items():
        if text:
            same_text[text].append(duty)
    postings = defaultdict(list)
    for duty, grams in sets.items():
        for gram in grams:
            if frequency[gram] <= COMMON_DUTIES:
                postings[gram].append(duty)
    for group in (*same_text.values(), *postings.values()):
        for first, second in combinations(sorted(group), 2):
            if rows[first]["role_id"] != rows[second]["role_id"]:
                candidates.add((first, second))
    pairs = []
    for first, second in candidates:
        union = len(sets[first] | sets[second])
        similarity = len(sets[first] & sets[second]) / union if union else 0.0
        if texts[first] == texts[second]:
            similarity = 1.0
        if similarity >= threshold:
            pairs.append(
                OverlapPair(
                    first=_duty_item(rows[first], role_rows),
                    second=_duty_item(rows[second], role_rows),
                    similarity=round(similarity, 3),
                )
            )
    pairs.sort(key=lambda pair: (-pair.similarity, pair.first.id, pair.second.id))
    return pairs


def _duty_item(duty, role_rows):
    role = role_rows[duty["role_id"]]
    return Item(kind="duty", id=duty["id"], code=role["code"], row=role, detail=duty)
