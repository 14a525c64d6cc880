"""Restore in the admin: through the write path, refused with the reason, itself recorded."""

import pytest
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive, department_move, tree_problems
from orgportal.changes.models import Change
from roles.models import Role
from tests.factories import UserFactory


@pytest.fixture
def staff(client, seed_org):
    user = UserFactory(username="hr-staff", is_staff=True, groups=["HR editors"])
    client.force_login(user)
    return user


def versions_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_versions", args=[obj.pk])


def version_of(obj, **values):
    return obj.history.filter(id=obj.pk, **values).order_by("history_id").first().history_id


def test_the_change_form_links_to_the_versions(client, staff):
    finance = Department.objects.get(code="finance")
    page = client.get(reverse("admin:departments_department_change", args=[finance.pk]))
    assert versions_url(finance) in page.content.decode()
    versions = client.get(versions_url(finance))
    assert versions.status_code == 200
    assert "财务部" in versions.content.decode()


def test_restoring_a_department_renames_and_moves_it_back_and_is_recorded(client, staff):
    finance = Department.objects.get(code="finance")
    company = finance.parent
    old = version_of(finance)
    position = finance.history.get(history_id=old).sibling_position
    finance.name_zh_hans = "财务中心"
    finance.save()
    other = company.get_children().exclude(pk=finance.pk).last()
    department_move(department=finance, target=other, position="first-child")
    response = client.post(versions_url(finance), {"version": old}, follow=True)
    assert "Restored" in response.content.decode() or "已恢复" in response.content.decode()
    finance.refresh_from_db()
    assert (finance.name_zh_hans, finance.parent_id) == ("财务部", company.pk)
    assert list(company.get_children()).index(finance) == position
    assert tree_problems() == []
    record = finance.history.order_by("-history_id").first()
    assert record.history_user == staff
    assert "Restored" in record.history_change_reason or "恢复" in record.history_change_reason


def test_a_restore_that_breaks_a_rule_is_refused_with_the_reason(client, staff):
    finance = Department.objects.get(code="finance")
    other = Department.objects.filter(level=1).exclude(pk=finance.pk).first()
    active_version = version_of(finance)
    department_move(department=finance, target=other, position="first-child")
    moved_version = finance.history.order_by("-history_id").first().history_id
    department_move(department=finance, target=finance.parent.parent, position="first-child")
    department_archive(department=other)
    finance.refresh_from_db()
    before = finance.history.count()
    # Back under the archived department, active: refused.
    response = client.post(versions_url(finance), {"version": moved_version}, follow=True)
    page = response.content.decode()
    assert "archived" in page or "已归档" in page
    finance.refresh_from_db()
    assert finance.parent_id != other.pk
    assert finance.history.count() == before
    assert active_version


def test_an_archived_role_is_restored_by_its_earlier_version(client, staff):
    role = Role.objects.first()
    active = version_of(role)
    role.is_active = False
    role.save()
    client.post(versions_url(role), {"version": active})
    role.refresh_from_db()
    assert role.is_active
    last = Change.objects.filter(model="roles.role", object_id=role.pk).order_by("-id").first()
    assert last.kinds == "restored"


def test_staff_without_change_permission_cannot_restore(client, seed_org):
    viewer = UserFactory(username="looker", is_staff=True)
    client.force_login(viewer)
    role = Role.objects.first()
    assert client.post(versions_url(role), {"version": version_of(role)}).status_code == 403
