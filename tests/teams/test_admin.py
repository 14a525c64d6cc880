"""The project team admin: members inline, pickers, filters, archive, HR editors' rights."""

import pytest
from django.urls import reverse

from teams.models import ProjectTeam
from tests.factories import ProjectTeamFactory, RoleFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db


def test_hr_editors_may_add_change_and_view_teams_but_not_delete(hr_editor):
    for model in ("projectteam", "teammember"):
        for action in ("add", "change", "view"):
            assert hr_editor.has_perm(f"teams.{action}_{model}")
        assert not hr_editor.has_perm(f"teams.delete_{model}")


def test_team_change_form_shows_members_inline(client, superuser):
    member = TeamMemberFactory()
    client.force_login(superuser)
    response = client.get(reverse("admin:teams_projectteam_change", args=[member.team.pk]))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.role for form in formset.forms if form.instance.pk] == [member.role]
    # The Owner's picker shows "title · department".
    owner_field = response.context["adminform"].form.fields["owner"]
    assert owner_field.label_from_instance(member.team.owner) == (
        f"{member.team.owner.title} · {member.team.owner.department.name}"
    )


def test_hr_editor_adds_a_team_with_members(client, hr_editor):
    hr_editor.is_staff = True
    hr_editor.save()
    owner, member = RoleFactory(), RoleFactory()
    client.force_login(hr_editor)
    prefix = "members"
    response = client.post(
        reverse("admin:teams_projectteam_add"),
        {
            "code": "new-team",
            "owner": owner.pk,
            "status": "active",
            "is_active": "on",
            "name_zh_hans": "新项目组",
            "name_en": "New team",
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-role": owner.pk,
            f"{prefix}-0-responsibility_zh_hans": "统筹",
            f"{prefix}-0-allocation": "50",
            f"{prefix}-0-sort_order": "0",
            f"{prefix}-1-role": member.pk,
            f"{prefix}-1-responsibility_zh_hans": "执行",
            f"{prefix}-1-sort_order": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = ProjectTeam.objects.get(code="new-team")
    assert list(team.members.values_list("role", "allocation")) == [
        (owner.pk, 50),
        (member.pk, None),
    ]


def test_the_admin_refuses_a_role_twice_in_one_team(client, superuser):
    role = RoleFactory()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:teams_projectteam_add"),
        {
            "code": "twice",
            "owner": role.pk,
            "status": "active",
            "name_zh_hans": "重复项目组",
            "members-TOTAL_FORMS": "2",
            "members-INITIAL_FORMS": "0",
            "members-0-role": role.pk,
            "members-0-sort_order": "0",
            "members-1-role": role.pk,
            "members-1-sort_order": "1",
        },
    )
    assert response.status_code == 200
    assert not ProjectTeam.objects.filter(code="twice").exists()


def test_role_picker_labels_roles_with_their_department(client, superuser):
    role = RoleFactory(title="搜索优化师")
    client.force_login(superuser)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "搜索",
            "app_label": "teams",
            "model_name": "teammember",
            "field_name": "role",
        },
    )
    assert response.status_code == 200
    texts = [result["text"] for result in response.json()["results"]]
    assert texts == [f"搜索优化师 · {role.department.name}"]


def test_changelist_filters_by_status_and_department_subtree(client, superuser):
    member = TeamMemberFactory(team__status="planned")
    other = ProjectTeamFactory(status="active")
    client.force_login(superuser)
    url = reverse("admin:teams_projectteam_changelist")
    response = client.get(url, {"status__exact": "planned"})
    assert list(response.context["cl"].result_list) == [member.team]
    response = client.get(url, {"department": member.role.department.code})
    assert list(response.context["cl"].result_list) == [member.team]
    response = client.get(url, {"department": other.owner.department.code})
    assert list(response.context["cl"].result_list) == [other]


def test_hr_editors_archive_teams_and_are_not_offered_delete(client, hr_editor):
    hr_editor.is_staff = True
    hr_editor.save()
    team = ProjectTeamFactory()
    client.force_login(hr_editor)
    url = reverse("admin:teams_projectteam_changelist")
    response = client.post(
        url, {"action": "archive_selected", "_selected_action": [team.pk]}, follow=True
    )
    assert response.status_code == 200
    team.refresh_from_db()
    assert team.is_active is False
    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    delete = client.get(reverse("admin:teams_projectteam_delete", args=[team.pk]))
    assert delete.status_code == 403


def test_team_members_spreadsheet_round_trip_changes_nothing(seed_org):
    from teams.models import TeamMember
    from teams.resources import TeamMemberResource

    before = list(TeamMember.objects.values_list("team_id", "role_id", "allocation", "sort_order"))
    dataset = TeamMemberResource().export()
    assert dataset.height == 6
    result = TeamMemberResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 0
    after = list(TeamMember.objects.values_list("team_id", "role_id", "allocation", "sort_order"))
    assert after == before
