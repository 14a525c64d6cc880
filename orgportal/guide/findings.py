"""Where the company's structure departs from the guide's advice, stated from its own figures.

The advice (seed, section 三) matches a mode to each stage: 初创期 flat and functional, 成长期
matrix, 成熟期 ecosystem; a matrix works through cross-department project teams. Each finding
says what departs, the figures behind it, and where to change it.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, ngettext

from orgportal.guide.admin import profile_admin_url
from orgportal.guide.models import Mode, Stage

# The mode the guide advises for each stage (seed, section 三.1).
ADVISED_MODES = {
    Stage.STARTUP: Mode.FUNCTIONAL,
    Stage.GROWTH: Mode.MATRIX,
    Stage.MATURE: Mode.ECOSYSTEM,
}
# 初创期: "减少层级": the company and one level of departments below it.
STARTUP_MAX_LAYERS = 2


@dataclass
class Link:
    label: str
    url: str


@dataclass
class Finding:
    """One departure from the advice: a code (for tests and styling), what it says, the
    figures behind it, and links to where it is changed."""

    code: str
    message: str
    figures: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    level: str = "warning"


def guide_findings(profile, health, *, can_edit=False) -> list[Finding]:
    """Return where the structure departs from the advice for the profile's mode and stage.

    Admin links only for users who may change what they lead to (``can_edit``).
    """
    if health.root is None:
        return []
    findings = []
    advised = ADVISED_MODES.get(profile.stage)
    if advised and profile.mode and profile.mode != advised:
        findings.append(
            Finding(
                code="mode-for-stage",
                message=gettext(
                    "For the %(stage)s stage the guide advises the %(advised)s mode; the company "
                    "records %(mode)s."
                )
                % {
                    "stage": profile.get_stage_display(),
                    "advised": Mode(advised).label,
                    "mode": profile.get_mode_display(),
                },
                links=_links(
                    (gettext("The advice"), f"{reverse('guide:guide')}#stage-{profile.stage}"),
                    (gettext("Change mode and stage"), profile_admin_url(), can_edit),
                ),
            )
        )
    if profile.stage == Stage.STARTUP and health.depth > STARTUP_MAX_LAYERS:
        findings.append(_too_deep(health, can_edit))
    if (
        health.teams_installed
        and profile.stage == Stage.GROWTH
        and not health.cross_department_teams
    ):
        findings.append(
            Finding(
                code="growth-without-project-team",
                message=gettext(
                    "The company is in the growth stage, but no active project team draws on "
                    "more than one department."
                ),
                figures=[
                    ngettext(
                        "%(count)d active project team",
                        "%(count)d active project teams",
                        health.active_teams,
                    )
                    % {"count": health.active_teams},
                    gettext("%(count)d of them cross-department")
                    % {"count": health.cross_department_teams},
                ],
                links=_team_links(can_edit),
            )
        )
    if health.teams_installed and profile.mode == Mode.MATRIX:
        single = health.single_department_teams
        if not health.teams or len(single) == health.teams:
            message = (
                gettext(
                    "The company records the matrix mode, but it has no project teams: no "
                    "dotted lines cross the departments."
                )
                if not health.teams
                else gettext(
                    "The company records the matrix mode, but every project team draws on a "
                    "single department."
                )
            )
        elif single:
            message = gettext(
                "The company records the matrix mode, but some project teams draw on a single "
                "department."
            )
        else:
            message = ""
        if message:
            findings.append(
                Finding(
                    code="matrix-single-department",
                    message=message,
                    figures=[
                        ngettext("%(count)d project team", "%(count)d project teams", health.teams)
                        % {"count": health.teams},
                        gettext("%(count)d of them from one department only")
                        % {"count": len(single)},
                        *[item.name for item in single[:10]],
                    ],
                    links=_team_links(can_edit),
                )
            )
    return findings


def _too_deep(health, can_edit):
    deepest = health.deepest[0] if health.deepest else None
    figures = [
        gettext("%(layers)d layers from the company to its deepest department")
        % {"layers": health.depth},
        ngettext(
            "%(count)d department deeper than layer %(max)d",
            "%(count)d departments deeper than layer %(max)d",
            health.departments_deeper_than(STARTUP_MAX_LAYERS),
        )
        % {"count": health.departments_deeper_than(STARTUP_MAX_LAYERS), "max": STARTUP_MAX_LAYERS},
    ]
    links = []
    if deepest is not None:
        leaf = deepest["leaf"]
        figures.append(" › ".join(item.name for item in deepest["path"]))
        links = _links(
            (leaf.name, leaf.url),
            (gettext("Move it in the admin"), leaf.admin_url, can_edit),
        )
    return Finding(
        code="startup-too-deep",
        message=gettext(
            "The company is in the start-up stage, which the guide advises to keep flat, but it "
            "is more than two levels deep."
        ),
        figures=figures,
        links=[
            *links,
            Link(gettext("Depth in the health check"), f"{reverse('guide:insights')}#depth"),
        ],
    )


def teams_url():
    """Return the project teams' page, or "" while the teams app is not installed."""
    try:
        return reverse("teams:list")
    except NoReverseMatch:
        return ""


def _team_links(can_edit):
    links = []
    for label, name, needs_edit in (
        (gettext("Project teams"), "teams:list", False),
        (gettext("Add a project team in the admin"), "admin:teams_projectteam_add", True),
    ):
        if needs_edit and not can_edit:
            continue
        try:
            links.append(Link(label, reverse(name)))
        except NoReverseMatch:
            continue
    return links


def _links(*entries):
    """Return Links from (label, url) and (label, url, shown) entries."""
    return [Link(entry[0], entry[1]) for entry in entries if len(entry) == 2 or entry[2]]
