"""A write to a row deleted meanwhile answers 404 and never brings the row back; races between
deletes and moves or patches answer 404 or 400, never 500.

Each test deletes the row while the request is in flight (from inside the request's own
validation, which is where a concurrent DELETE would commit), so it runs on SQLite too. That
delete runs in the request's transaction, so the refused request rolls it back: these tests
assert the answer; the PostgreSQL tests in test_api_concurrency.py and
tests/departments/test_concurrency.py delete from other connections with real threads and
check that nothing deleted comes back.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from departments.api.serializers import DepartmentMoveSerializer, DepartmentSerializer
from departments.models import Department
from departments.services import tree_problems
from roles.admin import RoleAdmin
from roles.api.serializers import DutySerializer, RoleSerializer
from roles.models import Duty, Role
from tests.factories import DepartmentFactory


def delete_during_validation(monkeypatch, serializer, delete):
    """Make ``delete`` run (and so commit, as far as the request can tell) mid-request."""
    validate = serializer.validate

    def validate_then_delete(self, attrs):
        delete()
        return validate(self, attrs)

    monkeypatch.setattr(serializer, "validate", validate_then_delete)


def error_code(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]["code"]


def test_saving_a_stale_role_after_its_delete_raises_instead_of_reinserting_it(seed_org):
    role = Role.objects.get(code="seo-sem-specialist")
    Role.objects.filter(pk=role.pk).delete()
    role.title = "复活"
    with pytest.raises(Role.DoesNotExist):
        role.save()
    assert not Role.objects.filter(code="seo-sem-specialist").exists()


def test_saving_a_stale_department_after_its_delete_keeps_the_tree_valid(seed_org):
    department = DepartmentFactory(code="short-lived")
    Department.objects.filter(pk=department.pk).delete()
    department.name = "复活"
    with pytest.raises(Department.DoesNotExist):
        department.save()
    assert not Department.objects.filter(code="short-lived").exists()
    assert tree_problems() == []


def test_a_role_patch_that_a_delete_overtakes_is_a_404(hr, monkeypatch):
    delete_during_validation(
        monkeypatch, RoleSerializer, lambda: Role.objects.filter(code="seo-sem-specialist").delete()
    )
    response = hr.patch("/api/v1/roles/seo-sem-specialist/", {"title": "新标题"})
    assert error_code(response, 404) == "not_found"
    assert not Role.objects.filter(title="新标题").exists()


def test_a_duty_patch_that_a_delete_overtakes_is_a_404(hr, monkeypatch):
    duty = Duty.objects.first()
    delete_during_validation(monkeypatch, DutySerializer, Duty.objects.filter(pk=duty.pk).delete)
    response = hr.patch(f"/api/v1/duties/{duty.pk}/", {"text": "新职责"})
    assert error_code(response, 404) == "not_found"
    assert not Duty.objects.filter(text="新职责").exists()


def test_a_duty_created_for_a_role_deleted_meanwhile_is_a_400(hr, monkeypatch):
    delete_during_validation(
        monkeypatch, DutySerializer, lambda: Role.objects.filter(code="seo-sem-specialist").delete()
    )
    response = hr.post("/api/v1/duties/", {"role": "seo-sem-specialist", "text": "新职责"})
    assert error_code(response, 400) == "invalid"
    assert set(response.json()["error"]["fields"]) == {"role"}
    assert not Duty.objects.filter(text="新职责").exists()


@pytest.fixture
def spare(seed_org):
    return DepartmentFactory(code="spare", parent=seed_org)


def delete_spare():
    Department.objects.get(code="spare").delete()


@pytest.mark.parametrize(
    "body", [{"name": "新名字"}, {"parent": "finance"}], ids=["name", "parent"]
)
def test_a_department_patch_that_a_delete_overtakes_is_a_404(hr, spare, monkeypatch, body):
    delete_during_validation(monkeypatch, DepartmentSerializer, delete_spare)
    response = hr.patch("/api/v1/departments/spare/", body)
    assert error_code(response, 404) == "not_found"
    assert Department.objects.get(code="spare").name != "新名字"
    assert tree_problems() == []


def test_delete_then_move_is_a_404(hr, spare, monkeypatch):
    delete_during_validation(monkeypatch, DepartmentMoveSerializer, delete_spare)
    response = hr.post("/api/v1/departments/spare/move/", {"target": "finance", "position": "left"})
    assert error_code(response, 404) == "not_found"
    assert tree_problems() == []


def test_delete_then_move_into_is_a_400_on_target(hr, spare, monkeypatch):
    delete_during_validation(monkeypatch, DepartmentMoveSerializer, delete_spare)
    response = hr.post(
        "/api/v1/departments/finance/move/", {"target": "spare", "position": "first-child"}
    )
    assert error_code(response, 400) == "invalid"
    assert set(response.json()["error"]["fields"]) == {"target"}
    assert Department.objects.get(code="finance").parent.code == "company"


def test_delete_then_patch_parent_is_a_400_on_parent(hr, spare, monkeypatch):
    delete_during_validation(monkeypatch, DepartmentSerializer, delete_spare)
    response = hr.patch("/api/v1/departments/finance/", {"parent": "spare"})
    assert error_code(response, 400) == "invalid"
    assert set(response.json()["error"]["fields"]) == {"parent"}
    assert tree_problems() == []


def test_delete_then_create_under_it_is_a_400_on_parent(hr, spare, monkeypatch):
    delete_during_validation(monkeypatch, DepartmentSerializer, delete_spare)
    response = hr.post("/api/v1/departments/", {"code": "late", "name": "迟到", "parent": "spare"})
    assert error_code(response, 400) == "invalid"
    assert set(response.json()["error"]["fields"]) == {"parent"}
    assert not Department.objects.filter(code="late").exists()


def test_deleting_a_role_deleted_meanwhile_raises(seed_org):
    role = Role.objects.get(code="seo-sem-specialist")
    Role.objects.filter(pk=role.pk).delete()
    with pytest.raises(Role.DoesNotExist):
        role.delete()


def test_the_admin_answers_a_save_of_a_role_deleted_meanwhile_with_a_message(
    client, seed_org, superuser, monkeypatch
):
    role = Role.objects.get(code="seo-sem-specialist")
    save_form = RoleAdmin.save_form

    def save_form_after_a_delete(self, request, form, change):
        Role.objects.filter(pk=role.pk).delete()
        return save_form(self, request, form, change)

    monkeypatch.setattr(RoleAdmin, "save_form", save_form_after_a_delete)
    client.force_login(superuser)
    url = reverse("admin:roles_role_change", args=[role.pk])
    form = {
        "code": role.code,
        "title_zh_hans": "复活",
        "department": role.department_id,
        "headcount": 1,
        "sort_order": 0,
        "is_active": "on",
        "duties-TOTAL_FORMS": 0,
        "duties-INITIAL_FORMS": 0,
    }
    response = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert any("deleted" in str(message) for message in get_messages(response.wsgi_request))
    assert not Role.objects.filter(title="复活").exists()
