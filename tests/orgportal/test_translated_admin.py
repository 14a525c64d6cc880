"""The admin edits every language on one page and lists what lacks English."""

import re

import pytest
from django.urls import reverse

from departments.models import Department
from roles.models import Duty, Role


@pytest.fixture
def admin_client(client, seed_org, superuser):
    client.force_login(superuser)
    return client


def listed(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return {str(obj.pk) for obj in response.context["cl"].result_list}


def test_the_department_form_has_every_language_of_every_text(admin_client):
    finance = Department.objects.get(code="finance")
    content = admin_client.get(
        reverse("admin:departments_department_change", args=[finance.pk])
    ).content.decode()

    for field in ("name", "tagline", "positioning", "description"):
        for suffix in ("zh_hans", "en", "zh_hant"):
            assert f'name="{field}_{suffix}"' in content
    assert re.search(r'name="tagline_en"[^>]*value="Budget control, compliance assurance"', content)


def test_an_automatic_traditional_text_is_the_placeholder_of_an_empty_field(admin_client):
    finance = Department.objects.get(code="finance")
    content = admin_client.get(
        reverse("admin:departments_department_change", args=[finance.pk])
    ).content.decode()

    field = re.search(r'<input[^>]*name="name_zh_hant"[^>]*>', content).group(0)
    assert 'placeholder="財務部"' in field
    assert "value=" not in field


def test_saving_the_form_keeps_a_hand_written_traditional_text(admin_client):
    role = Role.objects.get(code="financial-accountant")
    url = reverse("admin:roles_role_change", args=[role.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and not isinstance(value, list)
    }
    data.update(
        title_zh_hant="財務會計師",
        is_active="on",
        **{"duties-TOTAL_FORMS": 0, "duties-INITIAL_FORMS": 0},
    )
    data.pop("reports_to", None)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    role.refresh_from_db()
    assert role.title_zh_hant == "財務會計師"
    assert "title" not in role.zh_hant_auto
    assert role.summary_zh_hant == "" and "summary" in role.zh_hant_auto


def test_missing_english_lists_what_lacks_an_english_text(admin_client):
    Department.objects.filter(code="finance").update(tagline_en="")
    duty = Duty.objects.filter(role__code="data-analyst").first()
    Duty.objects.filter(pk=duty.pk).update(text_en=None)

    departments = reverse("admin:departments_department_changelist")
    roles = reverse("admin:roles_role_changelist")
    duties = reverse("admin:roles_duty_changelist")

    finance = str(Department.objects.get(code="finance").pk)
    assert listed(admin_client, departments, english="missing") == {finance}
    assert finance not in listed(admin_client, departments, english="complete")
    analyst = str(Role.objects.get(code="data-analyst").pk)
    assert listed(admin_client, roles, english="missing") == {analyst}
    assert listed(admin_client, duties, english="missing") == {str(duty.pk)}


def test_the_seed_lacks_no_english(admin_client):
    assert (
        listed(admin_client, reverse("admin:departments_department_changelist"), english="missing")
        == set()
    )
    assert listed(admin_client, reverse("admin:roles_role_changelist"), english="missing") == set()
