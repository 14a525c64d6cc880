"""The admin's change forms take an optional reason, kept on the history records they write."""

import pytest
from django.urls import reverse

from departments.models import Department
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember
from tests.factories import UserFactory
from tests.roles.test_admin import change_form_data


@pytest.fixture
def staff(client, seed_org):
    user = UserFactory(username="hr-staff", is_staff=True, groups=["HR editors"])
    client.force_login(user)
    return user


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


@pytest.mark.parametrize(
    ("model", "lookup", "field", "value"),
    [
        (Department, {"code": "finance"}, "tagline_zh_hans", "新口号"),
        (Role, {"code": "data-analyst"}, "summary_zh_hans", "新的概述"),
        (Duty, {"role__code": "data-analyst"}, "text_zh_hans", "新的职责"),
        (ProjectTeam, {"code": "team-618"}, "purpose_zh_hans", "新的目标"),
    ],
)
def test_the_reason_typed_in_the_change_form_is_kept_on_the_record(
    client, staff, model, lookup, field, value
):
    obj = model.objects.filter(**lookup).order_by("pk").first()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert 'name="change_reason"' in page.content.decode()
    assert "变更原因" in page.content.decode()
    data = change_form_data(page)
    data[field] = value
    data["change_reason"] = "2026 Q3 组织调整"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = latest(model, obj.pk)
    assert getattr(record, field) == value
    assert (record.history_change_reason, record.history_user, record.history_source) == (
        "2026 Q3 组织调整",
        staff,
        "admin",
    )


def test_the_reason_reaches_the_inline_members_and_is_optional(client, staff):
    team = ProjectTeam.objects.get(code="team-618")
    url = reverse("admin:teams_projectteam_change", args=[team.pk])
    data = change_form_data(client.get(url))
    data["members-0-allocation"] = "77"
    data["change_reason"] = "调整投入"
    assert client.post(url, data).status_code == 302
    member = TeamMember.objects.get(team=team, allocation=77)
    assert latest(TeamMember, member.pk).history_change_reason == "调整投入"
    data = change_form_data(client.get(url))
    data["purpose_zh_hans"] = "不写原因"
    assert client.post(url, data).status_code == 302
    assert latest(ProjectTeam, team.pk).history_change_reason in ("", None)


def test_the_reason_field_is_on_the_add_form_too(client, staff):
    page = client.get(reverse("admin:departments_department_add")).content.decode()
    assert 'name="change_reason"' in page
