"""The department admin: a drag-and-drop tree whose moves take the locked write path."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from departments.models import Department
from departments.services import tree_problems
from tests.factories import UserFactory


@pytest.fixture
def staff_hr(db):
    return UserFactory(username="hr-staff", is_staff=True, groups=["HR editors"])


def drag(client, cut, pasted_on, position):
    return client.post(
        reverse("admin:departments_department_changelist"),
        {"cmd": "move_node", "cut_item": cut.pk, "pasted_on": pasted_on.pk, "position": position},
    )


def test_department_changelist_shows_the_tree(client, seed_org, staff_hr):
    client.force_login(staff_hr)
    response = client.get(reverse("admin:departments_department_changelist"))
    assert response.status_code == 200
    assert "数字运营部" in response.content.decode()


def test_changelist_search_finds_a_department_by_positioning(client, seed_org, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:departments_department_changelist"), {"q": "用户满意度"})
    assert response.status_code == 200
    assert "客户服务部" in response.content.decode()
    assert "财务部" not in response.content.decode()


def test_drag_move_takes_the_write_path_and_is_logged(client, seed_org, staff_hr):
    client.force_login(staff_hr)
    finance = Department.objects.get(code="finance")
    hr = Department.objects.get(code="hr-administration")
    response = drag(client, finance, hr, "last-child")
    assert response.status_code == 200
    assert response.content == b"OK, moved."
    assert Department.objects.get(code="finance").parent == hr
    assert tree_problems() == []
    assert LogEntry.objects.filter(object_id=str(finance.pk)).exists()


def test_invalid_drag_move_answers_with_a_message_not_a_server_error(client, seed_org, staff_hr):
    client.force_login(staff_hr)
    root = Department.objects.get(code="company")
    digital = Department.objects.get(code="digital-operations")
    response = drag(client, root, digital, "last-child")
    assert response.status_code == 200
    assert response.content == b"FAIL, invalid move."
    page = client.get(reverse("admin:departments_department_changelist"))
    messages = [str(message) for message in page.context["messages"]]
    assert any("cannot be moved into itself" in m or "不能" in m for m in messages)
    assert Department.objects.get(code="company").parent is None
    assert tree_problems() == []


def test_drag_beside_the_root_is_refused(client, seed_org, staff_hr):
    client.force_login(staff_hr)
    response = drag(
        client,
        Department.objects.get(code="finance"),
        Department.objects.get(code="company"),
        "right",
    )
    assert response.content == b"FAIL, invalid move."
    assert Department.objects.root_nodes().count() == 1


def test_change_form_refuses_a_parent_inside_the_subtree(client, seed_org, superuser):
    client.force_login(superuser)
    root = Department.objects.get(code="company")
    url = reverse("admin:departments_department_change", args=[root.pk])
    response = client.post(
        url,
        {
            "code": "company",
            "name": root.name,
            "parent": Department.objects.get(code="finance").pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]
    assert Department.objects.get(code="company").parent is None


def test_deleting_a_department_with_roles_shows_what_blocks_it(client, seed_org, superuser):
    client.force_login(superuser)
    finance = Department.objects.get(code="finance")
    response = client.get(reverse("admin:departments_department_delete", args=[finance.pk]))
    assert response.status_code == 200
    assert "预算管理专员" in response.content.decode()
    assert response.context["protected"]


def test_adding_a_department_without_a_parent_is_a_form_error(client, seed_org, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:departments_department_add"),
        {"code": "second-root", "name": "第二个根", "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]
    assert not Department.objects.filter(code="second-root").exists()


def test_clearing_the_parent_of_a_department_is_a_form_error(client, seed_org, superuser):
    client.force_login(superuser)
    finance = Department.objects.get(code="finance")
    response = client.post(
        reverse("admin:departments_department_change", args=[finance.pk]),
        {"code": "finance", "name": finance.name, "parent": "", "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"]
    assert Department.objects.get(code="finance").parent.code == "company"


def test_archive_action_needs_the_change_permission(client, seed_org):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="view-only-staff", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_department"))
    client.force_login(viewer)
    digital = Department.objects.get(code="digital-operations")
    response = client.post(
        reverse("admin:departments_department_changelist"),
        {"action": "archive_selected", "_selected_action": [digital.pk]},
    )
    assert response.status_code in (200, 302)
    assert Department.objects.get(code="digital-operations").is_active


def test_archive_action_archives_the_subtree_for_hr(client, seed_org, staff_hr):
    client.force_login(staff_hr)
    digital = Department.objects.get(code="digital-operations")
    client.post(
        reverse("admin:departments_department_changelist"),
        {"action": "archive_selected", "_selected_action": [digital.pk]},
    )
    assert not Department.objects.get(code="digital-operations").is_active


def test_reserved_code_is_a_form_error(client, seed_org, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:departments_department_add"),
        {"code": "tree", "name": "树", "parent": seed_org.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"]
