"""Every write path records history: who, why, through which path, and nothing of the nested set."""

import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive, department_move
from orgportal.changes.models import Change
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember
from tests.factories import UserFactory

HistoricalDepartment = Department.history.model


def last_record(model, **filters):
    return model.history.filter(**filters).order_by("-history_id").first()


def test_history_keeps_no_nested_set_column():
    names = {field.name for field in HistoricalDepartment._meta.fields}
    assert {"parent", "sibling_position", "code", "name_zh_hans", "name_en"} <= names
    assert not names & {"lft", "rght", "tree_id", "level"}


def test_a_move_in_a_500_department_tree_writes_one_history_row(large_org):
    leaf = Department.objects.order_by("-lft").first()
    target = Department.objects.get(code="gen-1")
    records = HistoricalDepartment.objects.count()
    changes = Change.objects.count()
    department_move(department=leaf, target=target, position="first-child")
    assert HistoricalDepartment.objects.count() == records + 1
    assert Change.objects.count() == changes + 1
    record = last_record(Department)
    assert (record.id, record.parent_id, record.sibling_position) == (leaf.pk, target.pk, 0)
    assert record.history_type == "~"


def test_the_api_records_the_token_user_and_the_reason_header(hr, hr_editor):
    response = hr.patch(
        "/api/v1/departments/finance/",
        {"tagline": "新口号"},
        format="json",
        HTTP_X_CHANGE_REASON="2026 Q3 reorganisation",
    )
    assert response.status_code == 200, response.content
    record = last_record(Department, code="finance")
    assert record.tagline_zh_hans == "新口号"
    assert record.history_user == hr_editor
    assert record.history_change_reason == "2026 Q3 reorganisation"
    assert record.history_source == "api"


def test_the_api_records_role_and_duty_changes(hr, hr_editor):
    role = Role.objects.first()
    duty = role.duties.first()
    assert (
        hr.patch(f"/api/v1/roles/{role.code}/", {"headcount": 7}, format="json").status_code == 200
    )
    assert (
        hr.patch(f"/api/v1/duties/{duty.pk}/", {"text": "新职责"}, format="json").status_code == 200
    )
    assert last_record(Role, id=role.pk).headcount == 7
    duty_record = last_record(Duty, id=duty.pk)
    assert (duty_record.text_zh_hans, duty_record.history_user) == ("新职责", hr_editor)
    assert duty_record.history_change_reason in ("", None)


def test_the_admin_records_the_hr_user(client, seed_org):
    staff = UserFactory(username="hr-staff", is_staff=True, groups=["HR editors"])
    client.force_login(staff)
    cut = Department.objects.get(code="finance")
    pasted_on = Department.objects.get(code="company")
    response = client.post(
        reverse("admin:departments_department_changelist"),
        {
            "cmd": "move_node",
            "cut_item": cut.pk,
            "pasted_on": pasted_on.pk,
            "position": "first-child",
        },
    )
    assert response.status_code == 200
    record = last_record(Department, id=cut.pk)
    assert (record.history_user, record.history_source) == (staff, "admin")
    assert record.sibling_position == 0


def test_import_records_the_command_and_its_reason(db, tmp_path):
    call_command("import_org", str(settings.ORGPORTAL_SEED_FILE), "--reason", "首次导入")
    records = HistoricalDepartment.objects.all()
    assert records.count() == Department.objects.count()
    assert {(r.history_source, r.history_change_reason) for r in records} == {
        ("command:import_org", "首次导入")
    }
    assert Role.history.filter(history_change_reason="首次导入").count() == Role.objects.count()
    text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
    changed = tmp_path / "org.yaml"
    changed.write_text(text.replace("财务部", "财务中心", 1), encoding="utf-8")
    before = HistoricalDepartment.objects.count()
    call_command("import_org", str(changed), "--reason", "改名")
    assert HistoricalDepartment.objects.count() == before + 1
    assert last_record(Department).history_change_reason == "改名"


def test_the_shell_records_itself_as_the_source(seed_org, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["manage.py", "shell"])
    call_command(
        "shell",
        command=(
            "from departments.models import Department\n"
            "d = Department.objects.get(code='finance')\n"
            "d.tagline_zh_hans = '壳里改的'\n"
            "d.save()"
        ),
    )
    record = last_record(Department, code="finance")
    assert (record.tagline_zh_hans, record.history_source) == ("壳里改的", "shell")
    assert record.history_user is None


def test_archiving_a_subtree_records_every_archived_department(seed_org):
    top = Department.objects.filter(level=1).order_by("lft").first()
    below = list(Department.objects.descendants_of(top).values_list("pk", flat=True))
    department_archive(department=top)
    for pk in [top.pk, *below]:
        record = last_record(Department, id=pk)
        assert record.is_active is False
        assert record.sibling_position is not None


def test_an_import_logs_every_record_with_its_place_and_kind_in_record_order(db, tmp_path):
    """The import's history and change log are written set-based (INSERT … SELECT); each
    change still names its department, role and team, its kind, and (numbered as it is
    written on PostgreSQL, at insert on SQLite) follows the order of its records."""
    call_command("import_org", str(settings.ORGPORTAL_SEED_FILE))
    role_departments = dict(Role.objects.values_list("pk", "department_id"))
    expected = {}
    for record in Department.history.all():
        expected[("departments.department", record.history_id)] = (record.id, None, None, "added")
    for record in Role.history.all():
        expected[("roles.role", record.history_id)] = (
            record.department_id,
            record.id,
            None,
            "added",
        )
    for record in Duty.history.all():
        expected[("roles.duty", record.history_id)] = (
            role_departments[record.role_id],
            record.role_id,
            None,
            "duties",
        )
    for record in ProjectTeam.history.all():
        expected[("teams.projectteam", record.history_id)] = (
            role_departments[record.owner_id],
            record.owner_id,
            record.id,
            "added",
        )
    for record in TeamMember.history.all():
        expected[("teams.teammember", record.history_id)] = (
            role_departments[record.role_id],
            record.role_id,
            record.team_id,
            "members",
        )
    changes = list(
        Change.objects.exclude(model="guide.organisationprofile")
        .order_by("id")
        .values_list("model", "history_id", "department_id", "role_id", "team_id", "kinds", "seq")
    )
    assert {(m, h): tuple(rest[:4]) for m, h, *rest in changes} == expected
    assert len(changes) == len(expected)
    numbers = [seq for *_rest, seq in changes]
    assert None not in numbers and numbers == sorted(numbers)
    # Departments first, parents before children, as the records were written.
    departments = [h for m, h, *_rest in changes if m == "departments.department"]
    assert departments == sorted(departments)

    text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
    changed = tmp_path / "org.yaml"
    changed.write_text(text.replace("财务部", "财务中心", 1), encoding="utf-8")
    call_command("import_org", str(changed))
    renamed = Department.objects.get(name_zh_hans="财务中心")
    last = Change.objects.filter(model="departments.department").order_by("-seq").first()
    assert (last.object_id, last.kinds, last.department_id) == (renamed.pk, "renamed", renamed.pk)


def test_a_bulk_write_records_every_row_once_with_the_library_helper(large_org):
    assert HistoricalDepartment.objects.filter(history_type="+").count() == 500
    assert Role.history.count() == Role.objects.count()
    assert Duty.history.count() == Duty.objects.count()
    assert ProjectTeam.history.count() == ProjectTeam.objects.count() == 50
    assert TeamMember.history.count() == TeamMember.objects.count()
    assert Change.objects.count() == 500 + sum(
        model.objects.count() for model in (Role, Duty, ProjectTeam, TeamMember)
    )
    positions = dict(
        HistoricalDepartment.objects.filter(parent__code="company").values_list(
            "code", "sibling_position"
        )
    )
    assert positions == {f"gen-{index}": index - 1 for index in range(1, 9)}


def test_deleting_a_role_records_its_duties_too(seed_org):
    role = Role.objects.first()
    pk = role.pk
    duties = list(role.duties.values_list("pk", flat=True))
    role.delete()
    assert last_record(Role, id=pk).history_type == "-"
    assert all(last_record(Duty, id=pk).history_type == "-" for pk in duties)


@pytest.mark.parametrize("model", [Department, Role, Duty, ProjectTeam, TeamMember])
def test_every_record_is_in_the_change_log(seed_org, model):
    records = set(model.history.values_list("history_id", flat=True))
    logged = set(
        Change.objects.filter(model=model._meta.label_lower).values_list("history_id", flat=True)
    )
    assert records and records == logged


def test_a_bulk_write_records_in_batches_every_row_once_with_its_place(db, monkeypatch):
    from orgportal.changes import records
    from orgportal.generated_org import build_large_org

    monkeypatch.setattr(records, "RECORD_BATCH", 37)
    build_large_org(departments=120)

    assert HistoricalDepartment.objects.filter(history_type="+").count() == 120
    assert Duty.history.count() == Duty.objects.count() > 37
    assert Change.objects.count() == sum(
        model.history.count() for model in (Department, Role, Duty, ProjectTeam, TeamMember)
    )
    # Every department's record holds its place among its siblings, across the batches.
    places = {}
    for department in Department.objects.order_by("tree_id", "lft"):
        siblings = places.setdefault(department.parent_id, [])
        assert last_record(Department, id=department.pk).sibling_position == len(siblings)
        siblings.append(department.pk)
