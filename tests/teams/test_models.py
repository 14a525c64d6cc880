"""Project teams and their members: dates, one membership per role, a required Owner."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from departments.models import Department
from teams.models import ProjectTeam, TeamMember
from tests.factories import DepartmentFactory, ProjectTeamFactory, RoleFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db


def test_a_team_needs_an_owner():
    team = ProjectTeam(code="no-owner", name="无主项目组", status="active")
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "owner" in error.value.message_dict


def test_a_team_cannot_end_before_it_starts():
    team = ProjectTeamFactory.build(
        owner=RoleFactory(),
        starts_on=datetime.date(2026, 6, 18),
        ends_on=datetime.date(2026, 6, 1),
    )
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "ends_on" in error.value.message_dict


def test_the_database_refuses_an_end_before_the_start_too():
    team = ProjectTeamFactory()
    team.starts_on, team.ends_on = datetime.date(2026, 6, 18), datetime.date(2026, 6, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        team.save()


def test_one_day_teams_and_open_ended_teams_are_valid():
    owner = RoleFactory()
    ProjectTeamFactory.build(
        owner=owner, starts_on=datetime.date(2026, 6, 18), ends_on=datetime.date(2026, 6, 18)
    ).full_clean()
    ProjectTeamFactory.build(owner=owner, starts_on=datetime.date(2026, 6, 18)).full_clean()


def test_a_role_is_a_member_of_a_team_at_most_once():
    member = TeamMemberFactory()
    again = TeamMember(team=member.team, role=member.role, responsibility="再来一次")
    with pytest.raises(ValidationError) as error:
        again.full_clean()
    assert "已经是" in " ".join(error.value.messages) or "already" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()


def test_the_same_role_may_serve_in_two_teams():
    role = RoleFactory()
    TeamMemberFactory(role=role)
    TeamMember(team=ProjectTeamFactory(), role=role).full_clean()


@pytest.mark.parametrize("allocation", [0, 101])
def test_allocation_is_a_percentage_from_1_to_100(allocation):
    member = TeamMemberFactory.build(team=ProjectTeamFactory(), role=RoleFactory())
    member.allocation = allocation
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "allocation" in error.value.message_dict


def test_texts_get_an_automatic_traditional_translation():
    team = ProjectTeamFactory(name="618大促项目组", purpose="统筹资源")
    member = TeamMemberFactory(team=team, responsibility="负责搜索流量")
    assert team.name_zh_hant == "618大促專案組"  # Taiwan usage (s2twp)
    assert "name" in team.zh_hant_auto
    assert member.responsibility_zh_hant == "負責搜尋流量"


def test_visible_hides_archived_closed_and_teams_whose_owner_is_hidden():
    shown = ProjectTeamFactory(status="active")
    planned = ProjectTeamFactory(status="planned")
    ProjectTeamFactory(is_active=False)
    ProjectTeamFactory(status="closed")
    archived_department = DepartmentFactory(is_active=False)
    ProjectTeamFactory(owner=RoleFactory(department=archived_department))
    ProjectTeamFactory(owner=RoleFactory(is_active=False))
    assert set(ProjectTeam.objects.visible()) == {shown, planned}


def test_drawing_on_finds_teams_with_a_member_or_owner_in_the_subtree():
    parent = DepartmentFactory()
    child = DepartmentFactory(parent=parent)
    other = DepartmentFactory()
    through_member = TeamMemberFactory(role=RoleFactory(department=child)).team
    through_owner = ProjectTeamFactory(owner=RoleFactory(department=parent))
    ProjectTeamFactory(owner=RoleFactory(department=other))
    parent = Department.objects.get(pk=parent.pk)
    assert set(ProjectTeam.objects.drawing_on(parent)) == {through_member, through_owner}


def test_the_owner_of_a_team_cannot_be_deleted_but_a_member_role_can():
    from django.db.models.deletion import ProtectedError

    member = TeamMemberFactory()
    with pytest.raises(ProtectedError):
        member.team.owner.delete()
    member.role.delete()
    assert not TeamMember.objects.filter(pk=member.pk).exists()
