"""The role admin: duties inline and ordered, tree filter, search over duty text."""

import pytest
from django.urls import reverse

from roles.models import Role


def test_role_change_form_shows_its_duties_in_order(client, seed_org, superuser):
    client.force_login(superuser)
    role = Role.objects.get(code="seo-sem-specialist")
    response = client.get(reverse("admin:roles_role_change", args=[role.pk]))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    texts = [form.instance.text for form in formset.forms if form.instance.pk]
    assert texts == list(role.duties.values_list("text", flat=True))
    assert len(texts) == 6


def test_role_changelist_filters_by_department_subtree(client, seed_org, superuser):
    client.force_login(superuser)
    digital = seed_org.get_children().get(code="digital-operations")
    response = client.get(
        reverse("admin:roles_role_changelist"), {"department__id__inhierarchy": digital.pk}
    )
    assert response.status_code == 200
    titles = {role.title for role in response.context["cl"].result_list}
    assert titles == {"SEO/SEM优化师", "社交媒体运营", "电商运营"}


def test_role_changelist_searches_duty_text(client, seed_org, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:roles_role_changelist"), {"q": "小红书"})
    titles = {role.title for role in response.context["cl"].result_list}
    assert "社交媒体运营" in titles and "财务会计" not in titles


def test_hr_editors_may_add_change_and_view_but_not_delete(hr_editor):
    for model in ("department", "role", "duty"):
        app = "departments" if model == "department" else "roles"
        for action in ("add", "change", "view"):
            assert hr_editor.has_perm(f"{app}.{action}_{model}")
        assert not hr_editor.has_perm(f"{app}.delete_{model}")


def change_form_data(response):
    """Return the POST data of an admin change form as the browser would send it unchanged."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = value
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return data


def duty_texts(role):
    return list(role.duties.order_by("sort_order", "pk").values_list("text", flat=True))


def test_a_new_inline_duty_goes_after_the_others(client, seed_org, superuser):
    client.force_login(superuser)
    role = Role.objects.get(code="data-analyst")
    url = reverse("admin:roles_role_change", args=[role.pk])
    before = duty_texts(role)
    data = change_form_data(client.get(url))
    assert "duties-3-sort_order" not in data  # a new row has no place until it is saved
    data["duties-3-text_zh_hans"] = "维护数据字典"

    response = client.post(url, data)

    assert response.status_code == 302
    assert duty_texts(role) == [*before, "维护数据字典"]
    assert list(role.duties.order_by("sort_order").values_list("sort_order", flat=True)) == [
        0,
        1,
        2,
        3,
    ]


def test_submitted_order_numbers_reorder_the_duties(client, seed_org, superuser):
    client.force_login(superuser)
    role = Role.objects.get(code="data-analyst")
    url = reverse("admin:roles_role_change", args=[role.pk])
    before = duty_texts(role)
    data = change_form_data(client.get(url))
    data["duties-0-sort_order"], data["duties-2-sort_order"] = "2", "0"

    assert client.post(url, data).status_code == 302
    assert duty_texts(role) == [before[2], before[1], before[0]]


@pytest.mark.parametrize(
    ("button", "expected"),
    [("duties-1:up", [1, 0, 2]), ("duties-1:down", [0, 2, 1]), ("duties-0:up", [0, 1, 2])],
)
def test_up_and_down_buttons_save_and_move_a_duty_one_place(
    client, seed_org, superuser, button, expected
):
    client.force_login(superuser)
    role = Role.objects.get(code="data-analyst")
    url = reverse("admin:roles_role_change", args=[role.pk])
    before = duty_texts(role)
    data = change_form_data(client.get(url))
    data["_move_duty"] = button

    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"] == f"{url}#duties-group"
    assert duty_texts(role) == [before[index] for index in expected]


def test_a_duty_added_in_the_duty_admin_goes_last_and_has_no_order_field(
    client, seed_org, superuser
):
    client.force_login(superuser)
    role = Role.objects.get(code="data-analyst")
    add = reverse("admin:roles_duty_add")
    assert "sort_order" not in client.get(add).context["adminform"].form.fields
    client.post(add, {"role": role.pk, "area_zh_hans": "", "text_zh_hans": "维护数据字典"})
    assert duty_texts(role)[-1] == "维护数据字典"


def autocomplete(client, term, role=None, field="reports_to", model="role"):
    params = {"app_label": "roles", "model_name": model, "field_name": field, "term": term}
    if role is not None:
        params["role"] = role.pk
    response = client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_reports_to_picker_searches_titles_and_codes_only(client, seed_org, superuser):
    client.force_login(superuser)
    found = autocomplete(client, "营销")
    assert found == ["营销策划经理 · 市场调研与策略部"]
    assert autocomplete(client, "data-analyst") == ["数据分析师 · 数据与技术部"]
    assert autocomplete(client, "Analyst") == ["数据分析师 · 数据与技术部"]


def test_reports_to_picker_never_offers_the_role_itself_or_a_cycle(client, seed_org, superuser):
    client.force_login(superuser)
    manager = Role.objects.get(code="marketing-planning-manager")
    analyst = Role.objects.get(code="data-analyst")
    developer = Role.objects.get(code="software-engineer")
    analyst.reports_to = manager
    analyst.save()
    developer.reports_to = analyst
    developer.save()

    offered = autocomplete(client, "", role=manager)
    assert not any(
        text.startswith(("营销策划经理", "数据分析师", "技术开发工程师")) for text in offered
    )
    assert "市场调研专员 · 市场调研与策略部" in offered
    assert any(text.startswith("营销策划经理") for text in autocomplete(client, "", role=analyst))


def test_role_form_tells_the_picker_which_role_it_edits(client, seed_org, superuser):
    client.force_login(superuser)
    role = Role.objects.get(code="data-analyst")
    page = client.get(reverse("admin:roles_role_change", args=[role.pk])).content.decode()
    assert f'data-ajax--url="{reverse("admin:autocomplete")}?role={role.pk}"' in page


def test_duty_role_picker_also_searches_titles_not_duty_texts(client, seed_org, superuser):
    client.force_login(superuser)
    assert autocomplete(client, "小红书", field="role", model="duty") == []
    assert autocomplete(client, "社交", field="role", model="duty") == ["社交媒体运营 · 数字运营部"]
