"""The role admin: duties inline and ordered, tree filter, search over duty text."""

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
