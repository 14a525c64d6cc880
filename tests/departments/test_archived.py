"""Nothing active stands under an archived department: the model, admin, API and import refuse it.

The rule (README, "Archived departments and roles"): a write that would leave an active
department under an archived one is refused with a message naming the archived department;
archive the department too, or restore the archived one first.
"""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive, department_move, tree_problems
from tests.factories import DepartmentFactory, UserFactory

migration = importlib.import_module("departments.migrations.0003_archive_below_archived")


@pytest.fixture
def archived(seed_org):
    """数字运营部, archived (with its subtree), and an active sister department."""
    digital = Department.objects.get(code="digital-operations")
    DepartmentFactory(code="seo-team", name="SEO组", parent=digital)
    department_archive(department=digital)
    return Department.objects.get(code="digital-operations")


def names_archived(error, field):
    messages = error.value.message_dict[field]
    return any("数字运营部" in message for message in messages)


def test_creating_an_active_department_under_an_archived_one_is_refused(archived):
    with pytest.raises(ValidationError) as error:
        Department.objects.create(code="live", name="直播组", parent=archived)
    assert names_archived(error, "parent")
    assert not Department.objects.filter(code="live").exists()


def test_an_archived_department_may_be_created_under_an_archived_one(archived):
    Department.objects.create(code="live", name="直播组", parent=archived, is_active=False)
    assert tree_problems() == []


def test_restoring_a_department_under_an_archived_one_is_refused(archived):
    seo = Department.objects.get(code="seo-team")
    seo.is_active = True
    with pytest.raises(ValidationError) as error:
        seo.save()
    assert names_archived(error, "is_active")
    assert not Department.objects.get(code="seo-team").is_active


def test_moving_an_active_department_under_an_archived_one_is_refused(archived):
    finance = Department.objects.get(code="finance")
    for position in ("first-child", "last-child"):
        with pytest.raises(ValidationError) as error:
            department_move(department=finance, target=archived, position=position)
        assert names_archived(error, "target")
    seo = Department.objects.get(code="seo-team")
    with pytest.raises(ValidationError):
        department_move(department=finance, target=seo, position="left")
    assert Department.objects.get(code="finance").parent.code == "company"


def test_the_refusal_names_the_nearest_archived_ancestor(archived):
    seo = Department.objects.get(code="seo-team")
    with pytest.raises(ValidationError) as error:
        Department.objects.create(code="deep", name="深", parent=seo)
    assert "SEO组" in error.value.message_dict["parent"][0]


def test_moving_an_archived_department_out_and_restoring_it_works(archived):
    seo = Department.objects.get(code="seo-team")
    department_move(
        department=seo, target=Department.objects.get(code="finance"), position="last-child"
    )
    seo.refresh_from_db()
    seo.is_active = True
    seo.save()
    assert Department.objects.get(code="seo-team").is_active
    assert tree_problems() == []


def test_the_admin_form_refuses_an_active_department_under_an_archived_one(
    client, archived, superuser
):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:departments_department_add"),
        {"code": "live", "name": "直播组", "parent": archived.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "数字运营部" in response.context["adminform"].form.errors["parent"][0]
    seo = Department.objects.get(code="seo-team")
    response = client.post(
        reverse("admin:departments_department_change", args=[seo.pk]),
        {"code": "seo-team", "name": "SEO组", "parent": archived.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["is_active"]
    assert not Department.objects.filter(code="live").exists()
    assert not Department.objects.get(code="seo-team").is_active


def test_the_admin_drag_refuses_an_active_department_under_an_archived_one(client, archived):
    client.force_login(UserFactory(username="hr-staff", is_staff=True, groups=["HR editors"]))
    finance = Department.objects.get(code="finance")
    response = client.post(
        reverse("admin:departments_department_changelist"),
        {
            "cmd": "move_node",
            "cut_item": finance.pk,
            "pasted_on": archived.pk,
            "position": "last-child",
        },
    )
    assert response.content == b"FAIL, invalid move."
    assert Department.objects.get(code="finance").parent.code == "company"


def error_fields(response):
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def test_the_api_refuses_a_department_created_under_an_archived_one(hr, archived):
    response = hr.post(
        "/api/v1/departments/", {"code": "live", "name": "直播组", "parent": archived.code}
    )
    assert "数字运营部" in error_fields(response)["parent"][0]
    response = hr.post(
        "/api/v1/departments/",
        {"code": "live", "name": "直播组", "parent": archived.code, "is_active": False},
    )
    assert response.status_code == 201


def test_the_api_refuses_to_restore_or_move_into_an_archived_department(hr, archived):
    response = hr.patch("/api/v1/departments/seo-team/", {"is_active": True})
    assert "数字运营部" in error_fields(response)["is_active"][0]
    response = hr.patch("/api/v1/departments/finance/", {"parent": archived.code})
    assert "数字运营部" in error_fields(response)["parent"][0]
    response = hr.post(
        "/api/v1/departments/finance/move/", {"target": "seo-team", "position": "right"}
    )
    assert "target" in error_fields(response)
    assert Department.objects.get(code="finance").parent.code == "company"
    assert not Department.objects.get(code="seo-team").is_active


def test_the_api_restores_a_department_together_with_its_move(hr, archived):
    response = hr.patch("/api/v1/departments/seo-team/", {"is_active": True, "parent": "finance"})
    assert response.status_code == 200, response.content
    seo = Department.objects.get(code="seo-team")
    assert seo.is_active and seo.parent.code == "finance"


def test_the_api_archives_a_department_together_with_its_move(hr, archived):
    response = hr.patch(
        "/api/v1/departments/finance/", {"is_active": False, "parent": archived.code}
    )
    assert response.status_code == 200, response.content
    finance = Department.objects.get(code="finance")
    assert not finance.is_active and finance.parent.code == "digital-operations"
    assert tree_problems() == []


def test_the_migration_archives_what_older_versions_left_active_below_archived(archived):
    # Written around the write path, as older versions allowed.
    Department.objects.filter(code="seo-team").update(is_active=True)
    migration.archive_below_archived(apps, None)
    assert not Department.objects.get(code="seo-team").is_active
    assert Department.objects.get(code="finance").is_active
