"""The changes page and its CSV do not name a department or role hidden from the reader where a
visible one's change mentions it; an editor still reads the names."""

import pytest
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive
from roles.models import Role
from teams.models import ProjectTeam
from tests.factories import DepartmentFactory, ProjectTeamFactory, RoleFactory


@pytest.fixture
def role_moved_out_of_an_archived_department(seed_org):
    """A role created in 秘密部门, which is archived; then HR move the role to 数字运营部."""
    secret = DepartmentFactory(code="secret-unit", name="秘密部门", name_en="Secret unit")
    role = RoleFactory(code="moved-role", title="转岗岗位", department=secret)
    department_archive(department=Department.objects.get(pk=secret.pk))
    role = Role.objects.get(pk=role.pk)
    role.department = Department.objects.get(code="digital-operations")
    role.save()
    return role


def test_the_changes_page_does_not_name_an_archived_department(
    role_moved_out_of_an_archived_department, viewer_client
):
    page = viewer_client.get(reverse("changes:list")).content.decode()
    assert "转岗岗位" in page  # the role is visible, and so is its move
    assert "秘密部门" not in page
    csv = viewer_client.get(reverse("changes:list"), {"format": "csv"}).content.decode()
    assert "转岗岗位" in csv
    assert "秘密部门" not in csv


def test_the_changes_page_does_not_name_a_hidden_role_replaced_as_owner(seed_org, viewer_client):
    """A team's Owner was a role of 秘密部门 (archived); HR gave the team a visible Owner."""
    secret = DepartmentFactory(code="secret-unit", name="秘密部门")
    hidden_owner = RoleFactory(code="secret-owner", title="秘密负责人", department=secret)
    team = ProjectTeamFactory(code="open-team", name="公开项目组", owner=hidden_owner)
    department_archive(department=Department.objects.get(pk=secret.pk))
    team = ProjectTeam.objects.get(pk=team.pk)
    team.owner = Role.objects.get(code="financial-accountant")
    team.save()
    page = viewer_client.get(reverse("changes:list")).content.decode()
    assert "公开项目组" in page  # the team is visible, and so is its new Owner
    assert "秘密负责人" not in page


def test_the_changes_page_says_a_hidden_department_was_there(
    role_moved_out_of_an_archived_department, viewer_client
):
    page = viewer_client.get(reverse("changes:list")).content.decode()
    assert "（已归档的部门）" in page


def test_an_editor_still_reads_the_archived_names(
    role_moved_out_of_an_archived_department, client, hr_editor
):
    client.force_login(hr_editor)
    page = client.get(reverse("changes:list")).content.decode()
    assert "转岗岗位" in page
    assert "秘密部门" in page


def test_a_hidden_department_reads_as_unknown_in_the_filter(
    role_moved_out_of_an_archived_department, viewer_client, client, hr_editor
):
    hidden = viewer_client.get(reverse("changes:list"), {"department": "secret-unit"})
    unknown = viewer_client.get(reverse("changes:list"), {"department": "no-such-unit"})
    client.force_login(hr_editor)
    editor = client.get(reverse("changes:list"), {"department": "secret-unit"})

    assert "secret-unit" in hidden.context["form"].errors["department"][0]
    assert "no-such-unit" in unknown.context["form"].errors["department"][0]
    assert not editor.context["form"].errors
