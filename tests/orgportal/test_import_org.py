"""import_org and export_org: placed errors, atomic and idempotent imports, round trips."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from departments.models import Department
from departments.services import tree_problems
from orgportal.guide.models import OrganisationProfile
from roles.models import Duty, Role
from teams.models import ProjectTeam

SEED = Path(settings.ORGPORTAL_SEED_FILE)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def seed_data():
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))


def write(tmp_path, data, name="org.yaml"):
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def database_state():
    return (
        list(
            Department.objects.values_list(
                "code", "name", "parent__code", "lft", "rght", "is_active"
            )
        ),
        list(Role.objects.values_list("code", "title", "department__code", "is_active")),
        list(Duty.objects.values_list("role__code", "area", "text", "sort_order")),
    )


def import_failure(path):
    """Run an import that must fail; return the error and what the command printed."""
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_org", path, stdout=StringIO(), stderr=err)
    return str(failure.value), err.getvalue()


@pytest.fixture
def seeded(seed_org):
    return database_state()


def test_import_of_the_seed_creates_everything_and_keeps_the_tree_valid(db):
    out, _ = run("import_org", str(SEED))
    # 9 departments, 19 roles and 60 duties, the 618 team and its 6 members; the profile is
    # set to the matrix mode.
    assert "96 changes: 95 created, 1 updated" in out
    assert "updated: organisation profile: mode null → matrix" in out
    assert tree_problems() == []


def test_second_import_of_the_same_file_reports_zero_changes(seeded):
    out, _ = run("import_org", str(SEED))
    assert "0 changes" in out
    assert database_state() == seeded


@pytest.mark.parametrize(
    ("mutate", "place", "message"),
    [
        (
            lambda d: d["departments"][2]["roles"][0].update(code="market-research-specialist"),
            "departments[2].roles[0].code",
            'duplicate code "market-research-specialist"',
        ),
        (lambda d: d["departments"][1].pop("name"), "departments[1].name", "is required"),
        (
            lambda d: d["departments"][0]["roles"][1].pop("code"),
            "departments[0].roles[1].code",
            "is required",
        ),
        (
            lambda d: d["departments"][3].update(parent="no-such-department"),
            "departments[3].parent",
            'unknown department "no-such-department"',
        ),
        (
            lambda d: d["departments"][4]["roles"][0].update(reports_to="nobody"),
            "departments[4].roles[0].reports_to",
            'unknown role "nobody"',
        ),
        (
            lambda d: d["departments"][0]["roles"][0]["duties"][0].pop("text"),
            "departments[0].roles[0].duties[0].text",
            "is required",
        ),
        (
            lambda d: d["departments"][0].update(code="not a slug"),
            "departments[0].code",
            "must use only ASCII letters",
        ),
        (
            lambda d: d["departments"][0]["roles"][0].update(headcount=-2),
            "departments[0].roles[0].headcount",
            "whole number",
        ),
        (
            lambda d: d["departments"][0].update(colour="red"),
            "departments[0].colour",
            "unknown field",
        ),
        (
            lambda d: d["departments"][0].update(code="new\n"),
            "departments[0].code",
            "must use only ASCII letters",
        ),
        (
            lambda d: d["departments"][0]["roles"][0].update(headcount=3_000_000_000),
            "departments[0].roles[0].headcount",
            "whole number from 0 to",
        ),
        (lambda d: d["departments"][1].update(name="X\x00Y"), "departments[1].name", "NUL"),
        (lambda d: d["departments"][2].update(code="tree"), "departments[2].code", ""),
    ],
)
def test_invalid_file_gives_a_placed_error_and_changes_nothing(
    seeded, tmp_path, mutate, place, message
):
    data = seed_data()
    data["departments"][0]["name"] = "changed, but must not be saved"
    mutate(data)
    failure, stderr = import_failure(write(tmp_path, data))
    assert "nothing was imported" in failure
    assert f"{place}: " in stderr and message in stderr
    assert database_state() == seeded


def test_department_parent_cycle_is_a_placed_error(seeded, tmp_path):
    data = seed_data()
    data["departments"][0]["parent"] = "finance"
    data["departments"][7]["parent"] = "market-research-strategy"
    _, stderr = import_failure(write(tmp_path, data))
    assert "departments[0].parent: the departments form a cycle" in stderr
    assert database_state() == seeded


def test_reporting_line_cycle_is_a_placed_error(seeded, tmp_path):
    data = seed_data()
    data["departments"][0]["roles"][0]["reports_to"] = "marketing-planning-manager"
    data["departments"][0]["roles"][1]["reports_to"] = "market-research-specialist"
    _, stderr = import_failure(write(tmp_path, data))
    assert "departments[0].roles[0].reports_to: the reporting lines form a cycle" in stderr
    assert database_state() == seeded


def test_malformed_yaml_names_the_line_and_changes_nothing(seeded, tmp_path):
    path = write(tmp_path, "code: company\nname: [unclosed\ndepartments: []\n")
    _, stderr = import_failure(path)
    assert "line 3" in stderr and "malformed YAML" in stderr
    assert database_state() == seeded


def test_file_whose_root_is_not_the_organisations_root_is_refused(seeded, tmp_path):
    data = seed_data()
    data["code"] = "another-company"
    _, stderr = import_failure(write(tmp_path, data))
    assert 'code: the organisation\'s root is "company"' in stderr
    assert database_state() == seeded


def test_unreadable_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        run("import_org", str(tmp_path / "missing.yaml"))


def test_dry_run_prints_the_plan_and_writes_nothing(seeded, tmp_path):
    data = seed_data()
    data["departments"][0]["tagline"] = "新的标语"
    data["departments"][1]["departments"] = [{"code": "video", "name": "视频组"}]
    out, _ = run("import_org", write(tmp_path, data), "--dry-run")
    assert "updated: department market-research-strategy (市场调研与策略部): tagline" in out
    assert "created: department video (视频组)" in out
    assert "Dry run, nothing written" in out
    assert database_state() == seeded


def test_dry_run_into_an_empty_database_writes_nothing(db):
    out, _ = run("import_org", str(SEED), "--dry-run")
    assert "96 changes" in out
    assert not Department.objects.exists() and not Role.objects.exists()
    assert not OrganisationProfile.objects.exists()


def test_import_updates_moves_and_reorders_by_code(seed_org, tmp_path):
    data = seed_data()
    finance = data["departments"].pop()
    finance["name"] = "财务中心"
    data["departments"][0]["departments"].append(finance)
    first, second = data["departments"][1], data["departments"][2]
    data["departments"][1], data["departments"][2] = second, first
    out, _ = run("import_org", write(tmp_path, data))
    assert "moved: department finance (财务中心): under market-research-strategy" in out
    assert "updated: department finance (财务中心): name" in out
    finance_db = Department.objects.get(code="finance")
    assert finance_db.parent.code == "market-research-strategy"
    assert [d.code for d in seed_org.get_children()][:3] == [
        "market-research-strategy",
        "digital-operations",
        "brand-content-marketing",
    ]
    assert tree_problems() == []
    again, _ = run("import_org", write(tmp_path, data))
    assert "0 changes" in again


def test_import_moves_a_role_to_another_department(seed_org, tmp_path):
    data = seed_data()
    role = data["departments"][0]["roles"].pop(0)
    data["departments"][7]["roles"].append(role)
    out, _ = run("import_org", write(tmp_path, data))
    assert "moved: role market-research-specialist" in out
    assert Role.objects.get(code="market-research-specialist").department.code == "finance"


def test_import_edits_a_duty_in_place_and_never_deletes_one(seed_org, tmp_path):
    data = seed_data()
    duties = data["departments"][0]["roles"][0]["duties"]
    duties[0]["text"] = "跟踪行业动态"
    removed = duties.pop()
    out, _ = run("import_org", write(tmp_path, data))
    assert "updated: duty 1 of role market-research-specialist" in out
    assert "kept: duty “" + removed["text"] + "”" in out
    role = Role.objects.get(code="market-research-specialist")
    texts = list(role.duties.values_list("text", flat=True))
    assert texts[0] == "跟踪行业动态" and texts[-1] == removed["text"]
    assert Duty.objects.count() == 60


def test_prune_archives_what_the_file_no_longer_lists_and_deletes_nothing(seed_org, tmp_path):
    data = seed_data()
    dropped = data["departments"].pop()
    data["departments"][0]["roles"].pop()
    counts = (Department.objects.count(), Role.objects.count(), Duty.objects.count())
    out, _ = run("import_org", write(tmp_path, data), "--prune")
    assert f"archived: department {dropped['code']}" in out
    assert "archived: role marketing-planning-manager" in out
    assert (Department.objects.count(), Role.objects.count(), Duty.objects.count()) == counts
    assert not Department.objects.get(code="finance").is_active
    assert not Role.objects.get(code="marketing-planning-manager").is_active
    assert not Role.objects.get(code="budget-management-specialist").is_active


def test_without_prune_unlisted_items_stay_active(seed_org, tmp_path):
    data = seed_data()
    data["departments"].pop()
    out, _ = run("import_org", write(tmp_path, data))
    assert "archived:" not in out
    assert Department.objects.get(code="finance").is_active


def test_import_reactivates_an_archived_department_the_file_lists(seed_org):
    finance = Department.objects.get(code="finance")
    finance.is_active = False
    finance.save()
    out, _ = run("import_org", str(SEED))
    assert "updated: department finance (财务部): is_active" in out
    assert Department.objects.get(code="finance").is_active


def test_export_import_export_is_byte_identical(seed_org, tmp_path):
    Role.objects.filter(code="visual-designer").update(is_active=False)
    Role.objects.filter(code="data-analyst").update(headcount=3)
    Role.objects.filter(code="software-engineer").update(headcount=0)
    first = tmp_path / "first.yaml"
    run("export_org", str(first))
    empty_organisation()
    assert not Department.objects.exists()
    run("import_org", str(first))
    second = tmp_path / "second.yaml"
    run("export_org", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert "is_active: false" in first.read_text(encoding="utf-8")
    assert "headcount: 3" in first.read_text(encoding="utf-8")
    assert Role.objects.get(code="software-engineer").headcount == 0
    assert Role.objects.get(code="online-customer-service").headcount is None


def test_the_seed_file_states_no_headcount_and_imports_none(seed_org):
    assert "headcount" not in SEED.read_text(encoding="utf-8")
    assert not Role.objects.filter(headcount__isnull=False).exists()


@pytest.mark.parametrize(("value", "stored"), [(None, None), (0, 0), (12, 12)])
def test_a_role_may_leave_its_headcount_unknown(db, tmp_path, value, stored):
    data = seed_data()
    data["departments"][0]["roles"][0]["headcount"] = value
    run("import_org", write(tmp_path, data))
    assert Role.objects.get(code="market-research-specialist").headcount == stored


def test_importing_the_seed_again_clears_an_invented_headcount(seed_org):
    Role.objects.update(headcount=1)
    out, _ = run("import_org", str(SEED))
    assert "updated: role data-analyst (数据分析师): headcount" in out
    assert not Role.objects.filter(headcount__isnull=False).exists()


def test_export_of_the_seed_is_the_seed_file(seed_org):
    out, _ = run("export_org")
    assert out == SEED.read_text(encoding="utf-8")


def test_if_empty_skips_a_database_that_holds_an_organisation(seeded, tmp_path):
    data = seed_data()
    data["name"] = "别的公司"
    out, _ = run("import_org", write(tmp_path, data), "--if-empty")
    assert "nothing imported" in out
    assert database_state() == seeded


def test_an_active_department_under_an_archived_one_is_a_placed_error(seed_org, tmp_path):
    data = seed_data()
    digital = data["departments"][2]
    digital["departments"] = [{"code": "seo-team", "name": "SEO组"}]
    run("import_org", write(tmp_path, data))
    state = database_state()
    digital["is_active"] = False
    _, stderr = import_failure(write(tmp_path, data))
    assert "departments[2].departments[0].is_active: " in stderr
    assert 'archived department "digital-operations"' in stderr
    assert database_state() == state


def test_archiving_a_parent_in_the_file_archives_the_children_it_lists_too(seed_org, tmp_path):
    data = seed_data()
    digital = data["departments"][2]
    digital["departments"] = [{"code": "seo-team", "name": "SEO组"}]
    run("import_org", write(tmp_path, data))
    digital["is_active"] = False
    digital["departments"][0]["is_active"] = False
    out, _ = run("import_org", write(tmp_path, data))
    assert "updated: department digital-operations (数字运营部): is_active" in out
    assert not Department.objects.get(code="seo-team").is_active
    again, _ = run("import_org", write(tmp_path, data))
    assert "0 changes" in again


def test_import_restores_a_department_by_moving_it_out_of_an_archived_one(seed_org, tmp_path):
    data = seed_data()
    digital = data["departments"][2]
    digital["departments"] = [{"code": "seo-team", "name": "SEO组"}]
    run("import_org", write(tmp_path, data))
    digital["is_active"] = False
    seo = digital.pop("departments")[0]
    data["departments"][7].setdefault("departments", []).append(seo)
    out, _ = run("import_org", write(tmp_path, data))
    assert "moved: department seo-team (SEO组): under finance" in out
    seo_db = Department.objects.get(code="seo-team")
    assert seo_db.is_active and seo_db.parent.code == "finance"
    assert not Department.objects.get(code="digital-operations").is_active
    assert tree_problems() == []


def test_duplicate_keys_are_refused_with_their_line(seeded, tmp_path):
    path = write(tmp_path, "code: company\nname: 一\nname: 二\ndepartments: []\n")
    _, stderr = import_failure(path)
    assert "line 3" in stderr and 'duplicate key "name"' in stderr
    assert database_state() == seeded


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        # YAML reads these as dates, and Python cannot build them.
        ("code: company\nname: 2026-02-30\n", 2, '"2026-02-30" is not a valid date'),
        (
            "code: company\nname: 公司\nteams:\n- code: t\n  starts_on: 2026-13-01\n",
            5,
            '"2026-13-01" is not a valid date',
        ),
        # A key that YAML builds as a list.
        ("code: company\nname: 公司\n? [a, b]\n: x\n", 3, "a key must be a plain name"),
    ],
)
def test_values_yaml_cannot_build_are_refused_with_their_line(
    seeded, tmp_path, text, line, problem
):
    error, stderr = import_failure(write(tmp_path, text))
    assert f"line {line}," in stderr and problem in stderr
    assert database_state() == seeded


def test_yaml_aliases_are_refused(seeded, tmp_path):
    text = "code: company\nname: 公司\ndepartments: &d\n- {code: a, name: A, departments: *d}\n"
    _, stderr = import_failure(write(tmp_path, text))
    assert "line 4" in stderr and "aliases" in stderr
    assert database_state() == seeded


# -- Planning without the lock (a dry run is a plan; a real run plans before it locks) ---------


def changed_seed():
    """A seed file with one of every kind of change an import makes."""
    data = seed_data()
    finance = data["departments"].pop()
    finance["name"] = "财务中心"
    data["departments"][0]["departments"].append(finance)
    data["departments"][1], data["departments"][2] = data["departments"][2], data["departments"][1]
    data["departments"][1]["departments"] = [{"code": "video", "name": "视频组"}]
    role = data["departments"][3]["roles"].pop(0)
    data["departments"][4]["roles"].append(role)
    duties = data["departments"][4]["roles"][0]["duties"]
    duties[0]["text"] = "改写的职责"
    duties.pop()
    data["departments"][5]["is_active"] = False
    return data


@pytest.mark.parametrize(
    ("start", "mutate", "options"),
    [
        ("empty", lambda d: None, []),
        ("seed", lambda d: None, []),
        ("seed", lambda d: d.update(changed_seed()), []),
        ("seed", lambda d: d.update(changed_seed()), ["--prune"]),
        ("seed", lambda d: d["departments"].pop(2), ["--prune"]),
    ],
    ids=["into an empty database", "unchanged", "changes", "changes and prune", "prune"],
)
def test_a_dry_run_plans_exactly_what_the_import_then_does(db, tmp_path, start, mutate, options):
    if start == "seed":
        run("import_org", str(SEED))
    data = seed_data()
    mutate(data)
    path = write(tmp_path, data)
    plan, _ = run("import_org", path, "--dry-run", *options)
    done, _ = run("import_org", path, *options)
    assert plan.splitlines()[:-1] == done.splitlines()[:-1]
    assert plan.splitlines()[-1].endswith(done.splitlines()[-1].removeprefix("Imported: "))


@pytest.fixture
def tree_locks(monkeypatch):
    """Record every time the tree lock is taken."""
    from departments import locking
    from orgportal.orgfiles import services

    taken = []
    lock = locking.lock_tree

    def recording_lock(using="default"):
        taken.append(using)
        return lock(using)

    monkeypatch.setattr(locking, "lock_tree", recording_lock)
    monkeypatch.setattr(services, "lock_tree", recording_lock)
    return taken


def test_a_dry_run_takes_no_lock_and_writes_nothing(seeded, tmp_path, tree_locks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = write(tmp_path, changed_seed())
    with CaptureQueriesContext(connection) as queries:
        out, _ = run("import_org", path, "--dry-run", "--prune")
    assert "changes" in out and "0 changes" not in out
    assert tree_locks == []
    assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in queries)
    assert database_state() == seeded


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(code="another-company"),
        lambda d: d["departments"].append({"code": "tree", "name": "树"}),
    ],
    ids=["another root", "a reserved code"],
)
def test_a_real_import_finds_errors_before_it_takes_the_lock(seeded, tmp_path, tree_locks, mutate):
    data = seed_data()
    mutate(data)
    import_failure(write(tmp_path, data))
    assert tree_locks == []
    assert database_state() == seeded


def test_a_real_import_takes_the_lock_once_planned(seeded, tmp_path, tree_locks):
    run("import_org", write(tmp_path, changed_seed()))
    assert tree_locks


def empty_organisation():
    ProjectTeam.objects.all().delete()
    Duty.objects.all().delete()
    Role.objects.all().delete()
    for department in Department.objects.order_by("-level"):
        department.delete()


def test_every_language_survives_export_import_export_byte_for_byte(seed_org, tmp_path):
    finance = Department.objects.get(code="finance")
    finance.tagline_zh_hant = "預算管控與合規"  # by hand: differs from the conversion
    finance.save()
    duty = Duty.objects.filter(role__code="financial-accountant").first()
    duty.text_en = ""  # a missing English text
    duty.save()
    first = tmp_path / "first.yaml"
    run("export_org", str(first))
    text = first.read_text(encoding="utf-8")
    assert "tagline_zh_hant: 預算管控與合規" in text
    assert text.count("_zh_hant:") == 1  # automatic conversions are derived, not written
    assert "text_en: Track developments in the internet-marketing industry" in text

    empty_organisation()
    run("import_org", str(first))
    second = tmp_path / "second.yaml"
    run("export_org", str(second))

    assert first.read_bytes() == second.read_bytes()
    finance = Department.objects.get(code="finance")
    assert finance.tagline_zh_hant == "預算管控與合規"
    assert "tagline" not in finance.zh_hant_auto
    assert finance.name_zh_hant == "財務部" and "name" in finance.zh_hant_auto
    assert Duty.objects.get(text_zh_hans=duty.text_zh_hans).text_en == ""


def test_import_sets_and_clears_texts_of_every_language(seed_org, tmp_path):
    data = seed_data()
    finance = next(d for d in data["departments"] if d["code"] == "finance")
    finance["tagline_zh_hant"] = "預算管控與合規"
    finance["tagline_en"] = "Budgets"
    del finance["positioning_en"]
    out, _ = run("import_org", write(tmp_path, data))

    assert (
        "updated: department finance (财务部): tagline_en, tagline_zh_hant, positioning_en" in out
    )
    finance = Department.objects.get(code="finance")
    assert (finance.tagline_en, finance.tagline_zh_hant, finance.positioning_en) == (
        "Budgets",
        "預算管控與合規",
        "",
    )
    again, _ = run("import_org", write(tmp_path, data))
    assert "0 changes" in again


def test_a_traditional_text_equal_to_the_conversion_imports_as_automatic(seed_org, tmp_path):
    data = seed_data()
    finance = next(d for d in data["departments"] if d["code"] == "finance")
    finance["name_zh_hant"] = "財務部"

    out, _ = run("import_org", write(tmp_path, data))

    assert "0 changes" in out
    assert "name" in Department.objects.get(code="finance").zh_hant_auto


def test_a_language_text_too_long_is_a_placed_error(seed_org, tmp_path):
    data = seed_data()
    data["departments"][7]["name_en"] = "x" * 201

    _, printed = import_failure(write(tmp_path, data))

    assert "departments[7].name_en: is longer than 200 characters" in printed


def test_an_unknown_language_key_is_a_placed_error(seed_org, tmp_path):
    data = seed_data()
    data["departments"][7]["name_fr"] = "Finances"

    _, printed = import_failure(write(tmp_path, data))

    assert "departments[7].name_fr: unknown field" in printed
