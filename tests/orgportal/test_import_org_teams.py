"""The teams: section of organisation files: round trip, placed errors, dry run, prune."""

import copy
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from teams.models import ProjectTeam, TeamMember
from tests.factories import ProjectTeamFactory
from tests.orgportal.test_import_org import (
    empty_organisation,
    import_failure,
    run,
    seed_data,
    write,
)

SEED_TEAM = "team-618"


def teams_state():
    return (
        list(
            ProjectTeam.objects.order_by("code").values_list(
                "code", "name", "owner__code", "status", "starts_on", "ends_on", "is_active"
            )
        ),
        list(
            TeamMember.objects.order_by("team__code", "sort_order").values_list(
                "team__code", "role__code", "responsibility", "allocation", "sort_order"
            )
        ),
    )


def test_the_seed_brings_the_618_team_with_its_owner_and_members(seed_org):
    team = ProjectTeam.objects.get(code=SEED_TEAM)
    assert team.name == "618大促项目组"
    assert team.owner.code == "marketing-planning-manager"
    assert team.status == "active"
    members = list(team.members.order_by("sort_order").values_list("role__code", flat=True))
    assert members == [
        "marketing-planning-manager",
        "seo-sem-specialist",
        "ecommerce-operations",
        "campaign-operations",
        "software-engineer",
        "online-customer-service",
    ]
    departments = set(team.members.values_list("role__department__code", flat=True))
    assert departments == {
        "market-research-strategy",
        "digital-operations",
        "user-growth-operations",
        "data-technology",
        "customer-service",
    }
    assert all(team.members.values_list("responsibility_en", flat=True))


def test_teams_survive_export_import_into_an_empty_database_export(seed_org, tmp_path):
    team = ProjectTeam.objects.get(code=SEED_TEAM)
    team.name_zh_hant = "618大促專案小組"  # a traditional name written by hand
    team.save()
    ProjectTeamFactory(code="archived-team", owner=team.owner, is_active=False, status="closed")
    first = tmp_path / "first.yaml"
    run("export_org", str(first))
    text = first.read_text(encoding="utf-8")
    assert "name_zh_hant: 618大促專案小組" in text and "code: archived-team" in text
    empty_organisation()
    run("import_org", str(first))
    second = tmp_path / "second.yaml"
    run("export_org", str(second))
    assert second.read_bytes() == first.read_bytes()


def test_second_import_of_teams_changes_nothing(seed_org, tmp_path):
    out, _err = run("import_org", write(tmp_path, seed_data()))
    assert "0 changes" in out


@pytest.mark.parametrize(
    ("mutate", "place", "message"),
    [
        (
            lambda d: d["teams"][0]["members"][2].update(role="x"),
            "teams[0].members[2].role",
            'unknown role "x"',
        ),
        (lambda d: d["teams"][0].update(owner="nobody"), "teams[0].owner", 'unknown role "nobody"'),
        (lambda d: d["teams"][0].pop("owner"), "teams[0].owner", "is required"),
        (lambda d: d["teams"][0].pop("name"), "teams[0].name", "is required"),
        (
            lambda d: d["teams"][0].update(ends_on="2026-01-01"),
            "teams[0].ends_on",
            "must not be before starts_on",
        ),
        (lambda d: d["teams"][0].update(starts_on="soon"), "teams[0].starts_on", "must be a date"),
        (lambda d: d["teams"][0].update(status="done"), "teams[0].status", "must be one of"),
        (
            lambda d: d["teams"][0]["members"][1].update(allocation=120),
            "teams[0].members[1].allocation",
            "from 1 to 100",
        ),
        (
            lambda d: d["teams"][0]["members"][3].update(role="seo-sem-specialist"),
            "teams[0].members[3].role",
            "already a member",
        ),
        (
            lambda d: d["teams"].append(copy.deepcopy(d["teams"][0])),
            "teams[1].code",
            "duplicate code",
        ),
        (lambda d: d["teams"][0].update(colour="red"), "teams[0].colour", "unknown field"),
        (lambda d: d["departments"][0].update(teams=[]), "departments[0].teams", "unknown field"),
    ],
)
def test_a_bad_team_is_a_placed_error_and_changes_nothing(
    seed_org, tmp_path, mutate, place, message
):
    before = teams_state()
    data = seed_data()
    mutate(data)
    error, printed = import_failure(write(tmp_path, data))
    assert f"org.yaml: {place}: " in printed and message in printed, printed
    assert "nothing was imported" in error
    assert teams_state() == before


def test_an_owner_may_be_a_role_of_the_database_not_in_the_file(seed_org, tmp_path):
    data = seed_data()
    data["departments"] = []
    data["teams"] = [{"code": "db-owner", "name": "库中岗位项目组", "owner": "finance-accountant"}]
    _error, printed = import_failure(write(tmp_path, data))
    assert 'teams[0].owner: unknown role "finance-accountant"' in printed  # a typo stays one
    data["teams"][0]["owner"] = "financial-accountant"
    run("import_org", write(tmp_path, data))
    assert ProjectTeam.objects.get(code="db-owner").owner.code == "financial-accountant"


def test_dry_run_shows_the_team_plan_and_writes_nothing(seed_org, tmp_path):
    data = seed_data()
    data["teams"][0]["members"][0]["allocation"] = 80
    data["teams"].append(
        {
            "code": "team-new",
            "name": "新项目组",
            "owner": "data-analyst",
            "status": "planned",
            "members": [{"role": "data-analyst", "responsibility": "分析数据"}],
        }
    )
    before = teams_state()
    out, _ = run("import_org", write(tmp_path, data), "--dry-run")
    assert "created: team team-new (新项目组)" in out
    assert "created: member data-analyst of team team-new (新项目组)" in out
    assert (
        "updated: member marketing-planning-manager of team team-618 (618大促项目组): allocation"
        in out
    )
    assert teams_state() == before
    run("import_org", write(tmp_path, data))
    assert ProjectTeam.objects.get(code="team-new").members.get().responsibility == "分析数据"


def test_unlisted_members_are_kept_and_prune_archives_unlisted_teams(seed_org, tmp_path):
    extra = ProjectTeamFactory(code="extra-team", owner=ProjectTeam.objects.get().owner)
    data = seed_data()
    del data["teams"][0]["members"][1]
    out, _ = run("import_org", write(tmp_path, data))
    assert "kept: member seo-sem-specialist of team team-618" in out
    assert TeamMember.objects.filter(role__code="seo-sem-specialist").exists()
    extra.refresh_from_db()
    assert extra.is_active
    out, _ = run("import_org", write(tmp_path, data), "--prune")
    assert "archived: team extra-team" in out
    extra.refresh_from_db()
    assert not extra.is_active and ProjectTeam.objects.filter(code="extra-team").exists()


def test_an_import_moves_members_into_the_files_order(seed_org, tmp_path):
    data = seed_data()
    data["teams"][0]["members"].reverse()
    run("import_org", write(tmp_path, data))
    roles = list(TeamMember.objects.order_by("sort_order").values_list("role__code", flat=True))
    assert roles[0] == "online-customer-service" and roles[-1] == "marketing-planning-manager"


def test_a_file_without_teams_still_imports(db, tmp_path):
    data = seed_data()
    del data["teams"]
    out, _ = run("import_org", write(tmp_path, data))
    assert not ProjectTeam.objects.exists()
    stream = StringIO()
    call_command("export_org", stdout=stream)
    assert "teams:" not in stream.getvalue()
    assert yaml.safe_load(stream.getvalue())["code"] == "company"
