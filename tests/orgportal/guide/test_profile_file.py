"""The organisation profile in organisation files: mode and stage at the root, round trips."""

import json

import pytest

from departments.models import Department
from orgportal.guide.models import OrganisationProfile
from roles.models import Duty, Role
from teams.models import ProjectTeam
from tests.orgportal.test_import_org import (
    SEED,
    database_state,
    import_failure,
    run,
    seed_data,
    write,
)


def profile():
    found = OrganisationProfile.load()
    return found.mode, found.stage


def test_the_seed_is_a_matrix_with_no_stage(seed_org):
    assert profile() == ("matrix", "")
    # The profile closes the tree; the project teams follow it.
    assert "\nmode: matrix\nstage: null\nteams:\n" in SEED.read_text(encoding="utf-8")


def test_the_profile_round_trips_byte_for_byte(seed_org, tmp_path):
    OrganisationProfile(mode="project", stage="growth").save()
    first = tmp_path / "first.yaml"
    run("export_org", str(first))
    ProjectTeam.objects.all().delete()
    Duty.objects.all().delete()
    Role.objects.all().delete()
    for department in Department.objects.order_by("-level"):
        department.delete()
    OrganisationProfile.objects.all().delete()

    run("import_org", str(first))
    second = tmp_path / "second.yaml"
    run("export_org", str(second))

    assert first.read_bytes() == second.read_bytes()
    assert "\nmode: project\nstage: growth\nteams:\n" in first.read_text(encoding="utf-8")
    assert profile() == ("project", "growth")


def test_the_seed_names_may_stand_for_the_codes(seed_org, tmp_path):
    data = seed_data()
    data["mode"], data["stage"] = "职能型", "初创期"

    out, _ = run("import_org", write(tmp_path, data))

    assert "updated: organisation profile: mode matrix → functional, stage null → startup" in out
    assert profile() == ("functional", "startup")


def test_a_file_without_mode_and_stage_leaves_the_profile_alone(seed_org, tmp_path):
    data = seed_data()
    del data["mode"], data["stage"]

    out, _ = run("import_org", write(tmp_path, data))

    assert "organisation profile" not in out
    assert profile() == ("matrix", "")


@pytest.mark.parametrize(
    ("key", "value"), [("mode", "hierarchy"), ("stage", "成长"), ("mode", 3), ("stage", ["growth"])]
)
def test_an_unknown_mode_or_stage_is_a_placed_error_and_nothing_changes(
    seed_org, tmp_path, key, value
):
    data = seed_data()
    data[key] = value
    before = database_state()

    _error, printed = import_failure(write(tmp_path, data))

    assert f"{key}: must be one of" in printed
    assert "matrix (矩阵型)" in printed or "growth (成长期)" in printed
    assert "or null when not set" in printed
    assert profile() == ("matrix", "") and database_state() == before


def test_only_the_root_says_the_profile(seed_org, tmp_path):
    data = seed_data()
    data["departments"][0]["mode"] = "matrix"

    _error, printed = import_failure(write(tmp_path, data))

    assert "departments[0].mode: unknown field" in printed


def test_a_dry_run_reports_the_profile_and_writes_nothing(seed_org, tmp_path):
    data = seed_data()
    data["stage"] = "growth"

    out, _ = run("import_org", write(tmp_path, data), "--dry-run")

    assert "updated: organisation profile: stage null → growth" in out
    assert profile() == ("matrix", "")


def test_the_api_export_has_the_profile(seed_org, hr):
    response = hr.get("/api/v1/export/", {"format": "json"})
    data = json.loads(b"".join(response.streaming_content))

    assert (data["mode"], data["stage"]) == ("matrix", None)
