"""Project teams and their members in the history: every write path, the change entries, the
delta report, as-of exports, restore and the archived rules."""

import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from orgportal.changes.models import Change
from roles.models import Role
from teams.models import ProjectTeam, TeamMember
from tests.factories import UserFactory


def last_record(model, **filters):
    return model.history.filter(**filters).order_by("-history_id").first()


@pytest.fixture
def staff(client, seed_org):
    user = UserFactory(username="hr-staff", is_staff=True, groups=["HR editors"])
    client.force_login(user)
    return user


def test_the_admin_records_a_team_and_its_members_with_the_hr_user(client, staff):
    owner, member = Role.objects.order_by("pk")[:2]
    response = client.post(
        reverse("admin:teams_projectteam_add"),
        {
            "code": "new-team",
            "owner": owner.pk,
            "status": "active",
            "is_active": "on",
            "name_zh_hans": "新项目组",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "0",
            "members-0-role": member.pk,
            "members-0-responsibility_zh_hans": "执行",
            "members-0-sort_order": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = ProjectTeam.objects.get(code="new-team")
    team_record = last_record(ProjectTeam, id=team.pk)
    member_record = last_record(TeamMember, team_id=team.pk)
    for record in (team_record, member_record):
        assert (record.history_type, record.history_user, record.history_source) == (
            "+",
            staff,
            "admin",
        )
    assert member_record.role_id == member.pk
    change = Change.objects.get(model="teams.teammember", history_id=member_record.history_id)
    assert (change.team_id, change.role_id, change.kinds) == (team.pk, member.pk, "members")


def test_the_api_records_team_and_member_writes_with_the_reason_header(hr, hr_editor):
    team = ProjectTeam.objects.get(code="team-618")
    before = {m.pk for m in team.members.all()}
    response = hr.patch(
        reverse("api:team-detail", kwargs={"code": "team-618"}),
        {"status": "active", "members": [{"role": "ecommerce-operations", "allocation": 80}]},
        format="json",
        HTTP_X_CHANGE_REASON="大促复盘后精简",
    )
    assert response.status_code == 200, response.content
    team_record = last_record(ProjectTeam, id=team.pk)
    assert team_record.status == "active"
    left = TeamMember.history.filter(id__in=before, history_type="-")
    assert left.count() == len(before) - 1
    changed = last_record(TeamMember, role__code="ecommerce-operations")
    assert changed.allocation == 80
    for record in (team_record, changed, *left):
        assert (record.history_user, record.history_change_reason, record.history_source) == (
            hr_editor,
            "大促复盘后精简",
            "api",
        )


def test_import_records_the_teams_section_with_the_command_and_reason(db, tmp_path):
    call_command("import_org", str(settings.ORGPORTAL_SEED_FILE), "--reason", "首次导入")
    assert ProjectTeam.history.count() == ProjectTeam.objects.count() == 1
    assert TeamMember.history.count() == TeamMember.objects.count() == 6
    records = [*ProjectTeam.history.all(), *TeamMember.history.all()]
    assert {(r.history_source, r.history_change_reason) for r in records} == {
        ("command:import_org", "首次导入")
    }
    text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
    changed = tmp_path / "org.yaml"
    changed.write_text(text.replace("618大促项目组", "618大促项目组（二期）", 1), encoding="utf-8")
    call_command("import_org", str(changed), "--reason", "二期")
    record = last_record(ProjectTeam)
    assert (record.name_zh_hans, record.history_change_reason) == ("618大促项目组（二期）", "二期")
    assert TeamMember.history.count() == 6


def test_the_shell_records_a_team_change_as_the_shell(seed_org, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["manage.py", "shell"])
    call_command(
        "shell",
        command=(
            "from teams.models import ProjectTeam\n"
            "t = ProjectTeam.objects.get(code='team-618')\n"
            "t.purpose_zh_hans = '壳里改的'\n"
            "t.save()"
        ),
    )
    record = last_record(ProjectTeam, code="team-618")
    assert (record.purpose_zh_hans, record.history_source) == ("壳里改的", "shell")


def test_deleting_a_team_records_its_members_leaving(seed_org):
    team = ProjectTeam.objects.get(code="team-618")
    pk = team.pk
    members = list(team.members.values_list("pk", flat=True))
    team.delete()
    assert last_record(ProjectTeam, id=pk).history_type == "-"
    assert all(last_record(TeamMember, id=pk).history_type == "-" for pk in members)


@pytest.mark.parametrize(
    ("language", "joined", "renamed"),
    [
        (
            "zh-hans",
            "618大促项目组（一期）: 加入 成员 增长分析师",
            "618大促项目组 改名为 618大促项目组（一期）",
        ),
        (
            "en",
            "618 Shopping Festival Project Team: member 增长分析师 joined",
            "Project team 双11项目组 added",
        ),
        ("zh-hant", "加入 成員 增長分析師", "改名為"),
    ],
)
def test_team_changes_read_as_sentences_in_three_languages(
    client, hr_editor, timeline, language, joined, renamed
):
    client.force_login(hr_editor)
    with translation.override(language):
        page = client.get("/changes/", {"lang": language}, HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert joined in text
    assert renamed in text
    members = client.get("/changes/", {"kind": "members"}).context["entries"]
    assert members and all(entry.model == "teams.teammember" for entry in members)


def test_the_delta_report_lists_teams_added_and_members_changed(client, hr_editor, timeline):
    client.force_login(hr_editor)
    response = client.get("/changes/", {"from": "2026-05-02", "to": "2026-05-03"})
    sections = {section.key: section for section in response.context["delta"]}
    assert [line.code for line in sections["teams_added"].lines] == ["double-11"]
    assert sections["teams_removed"].lines == []
    (line,) = sections["teams_members"].lines
    assert line.code == "team-618"
    assert line.after == "增长分析师"
    assert line.before  # the first member left on day 2


def test_a_team_archived_is_removed_in_the_delta_and_hidden_from_staff(client, timeline, viewer):
    team = ProjectTeam.objects.get(code="double-11")
    team.is_active = False
    team.save()
    editor = UserFactory(username="hr-2", groups=["HR editors"])
    client.force_login(editor)
    sections = {
        s.key: s
        for s in client.get("/changes/", {"from": "2026-05-04", "to": "2099-01-01"}).context[
            "delta"
        ]
    }
    assert [line.code for line in sections["teams_removed"].lines] == ["double-11"]
    client.force_login(viewer)
    response = client.get("/changes/", {"from": "2026-05-01", "to": "2099-01-01"})
    shown = {s.key: s for s in response.context["delta"]}
    assert shown["teams_removed"].lines == [] and shown["teams_added"].lines == []
    assert not any(
        entry.model == "teams.projectteam" and "双11" in entry.sentence
        for entry in response.context["entries"]
    )


def test_restoring_a_team_in_the_admin_brings_back_its_name_and_is_recorded(client, staff):
    team = ProjectTeam.objects.get(code="team-618")
    old = team.history.filter(id=team.pk).order_by("history_id").first().history_id
    team.name_zh_hans = "改过的名字"
    team.is_active = False
    team.save()
    url = reverse("admin:teams_projectteam_versions", args=[team.pk])
    assert (
        url
        in client.get(reverse("admin:teams_projectteam_change", args=[team.pk])).content.decode()
    )
    client.post(url, {"version": old})
    team.refresh_from_db()
    assert (team.name_zh_hans, team.is_active) == ("618大促项目组", True)
    record = last_record(ProjectTeam, id=team.pk)
    assert record.history_user == staff and record.history_change_reason
