"""The department admin: a drag-and-drop tree whose moves take the locked write path."""

import html

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


@pytest.mark.parametrize(
    ("position", "target", "chinese", "english"),
    [
        (
            "left",
            "market-research-strategy",
            "移到“市场调研与策略部”之前。",
            "Moved before “Market Research & Strategy”.",
        ),
        (
            "right",
            "market-research-strategy",
            "移到“市场调研与策略部”之后。",
            "Moved after “Market Research & Strategy”.",
        ),
        (
            "first-child",
            "hr-administration",
            "成为“人力资源与行政部”的第一个下级部门。",
            "Moved in as the first sub-department of “Human Resources & Administration”.",
        ),
        (
            "last-child",
            "hr-administration",
            "成为“人力资源与行政部”的最后一个下级部门。",
            "Moved in as the last sub-department of “Human Resources & Administration”.",
        ),
    ],
)
def test_a_move_is_a_sentence_in_the_history_in_the_readers_language(
    client, seed_org, staff_hr, position, target, chinese, english
):
    client.force_login(staff_hr)
    finance = Department.objects.get(code="finance")
    assert drag(client, finance, Department.objects.get(code=target), position).content == (
        b"OK, moved."
    )
    history = reverse("admin:departments_department_history", args=[finance.pk])

    page = client.get(history).content.decode()
    assert chinese in page
    assert "right" not in page and "left" not in page and "child" not in page
    client.cookies["django_language"] = "en"
    assert english in html.unescape(client.get(history).content.decode())


def test_the_message_after_a_move_says_where_the_department_went(client, seed_org, staff_hr):
    client.force_login(staff_hr)
    finance = Department.objects.get(code="finance")
    drag(client, finance, Department.objects.get(code="customer-service"), "right")
    page = client.get(reverse("admin:departments_department_changelist"))
    messages = [str(message) for message in page.context["messages"]]
    assert messages == ["“财务部”:移到“客户服务部”之后。"]


@pytest.mark.parametrize(
    ("target", "position"),
    [
        ("hr-administration", "right"),  # finance is the last department, after HR
        ("company", "last-child"),
        ("finance", "left"),  # before itself
        ("finance", "right"),
    ],
)
def test_a_drop_where_the_department_stands_records_and_writes_nothing(
    client, seed_org, staff_hr, target, position
):
    client.force_login(staff_hr)
    finance = Department.objects.get(code="finance")
    response = drag(client, finance, Department.objects.get(code=target), position)

    assert response.content == b"OK, unchanged."
    assert not LogEntry.objects.filter(object_id=str(finance.pk)).exists()
    assert Department.objects.get(code="finance").updated_at == finance.updated_at
    page = client.get(reverse("admin:departments_department_changelist"))
    assert [str(m) for m in page.context["messages"]] == ["“财务部”已在该位置,未做任何更改。"]


def test_the_tree_renders_without_inline_styles_and_marks_each_row_for_the_script(
    client, seed_org, staff_hr
):
    client.force_login(staff_hr)
    response = client.get(reverse("admin:departments_department_changelist"))
    page = response.content.decode()
    assert "style=" not in page.split('id="result_list"')[1].split("</table>")[0]
    finance = Department.objects.get(code="finance")
    assert f'data-pk="{finance.pk}" data-parent="{seed_org.pk}" data-level="1"' in page
    assert 'id="tree-admin-context"' in page
    assert response.context["tree_admin"]["draggable"] is True
    searched = client.get(reverse("admin:departments_department_changelist"), {"q": "财务"})
    assert searched.context["tree_admin"]["draggable"] is False
