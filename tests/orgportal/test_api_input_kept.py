"""Nothing a client sends is dropped unread: unknown and read-only keys, numbers given as text
and two texts for one language are a 400 naming the field, and change nothing."""

import pytest

from departments.models import Department
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember
from tests.orgportal.test_api_strict_input import fields_of


def snapshot():
    return (
        list(
            Department.objects.order_by("pk").values_list(
                "code", "name_zh_hans", "name_en", "parent_id"
            )
        ),
        list(Role.objects.order_by("pk").values_list("code", "title_zh_hans", "headcount")),
        list(Duty.objects.order_by("pk").values_list("pk", "text_zh_hans")),
        list(ProjectTeam.objects.order_by("pk").values_list("code", "name_zh_hans")),
        list(TeamMember.objects.order_by("pk").values_list("pk", "role_id", "allocation")),
    )


# Simplified Chinese, the default language.
UNKNOWN = "未知字段。"
READ_ONLY = "该字段为只读字段。"
ROLE = "/api/v1/roles/budget-management-specialist/"
TEAM = "/api/v1/teams/team-618/"


@pytest.mark.parametrize(
    ("method", "url", "body", "field", "message"),
    [
        (
            "post",
            "/api/v1/departments/",
            {"code": "new-dept", "name": "新部门", "parent": "finance", "nmae_en": "New"},
            "nmae_en",
            UNKNOWN,
        ),
        (
            "post",
            "/api/v1/roles/",
            {"code": "new-role", "title": "新岗位", "department": "finance", "head_count": 3},
            "head_count",
            UNKNOWN,
        ),
        ("patch", ROLE, {"duties": [{"text": "新职责"}]}, "duties", READ_ONLY),
        (
            "post",
            "/api/v1/duties/",
            {"role": "budget-management-specialist", "text": "职责", "txet_en": "Duty"},
            "txet_en",
            UNKNOWN,
        ),
        (
            "post",
            "/api/v1/departments/finance/move/",
            {"target": "company", "position": "last-child", "positon": "first-child"},
            "positon",
            UNKNOWN,
        ),
        (
            "patch",
            TEAM,
            {"members": [{"role": "marketing-planning-manager", "alocation": 50}]},
            "members[0].alocation",
            UNKNOWN,
        ),
        ("patch", "/api/v1/departments/finance/", {"level": 3}, "level", READ_ONLY),
        ("patch", "/api/v1/departments/finance/", {"zh_hant_auto": []}, "zh_hant_auto", READ_ONLY),
        ("patch", TEAM, {"departments": ["finance"]}, "departments", READ_ONLY),
        (
            "patch",
            TEAM,
            {"members": [{"role": "marketing-planning-manager", "is_owner": False}]},
            "members[0].is_owner",
            READ_ONLY,
        ),
        (
            "post",
            "/api/v1/departments/",
            {"code": "new-dept", "name": "新部门", "parent": "finance", "level": 2},
            "level",
            READ_ONLY,
        ),
    ],
)
def test_an_unknown_or_read_only_field_is_a_400_naming_it_and_changes_nothing(
    hr, method, url, body, field, message
):
    before = snapshot()
    fields = fields_of(getattr(hr, method)(url, body))
    assert fields == {field: [message]}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("language", "unknown", "read_only"),
    [
        ("en", "Unknown field.", "This field is read-only."),
        ("zh-hant", "未知欄位。", "該欄位為唯讀欄位。"),
    ],
)
def test_the_messages_follow_the_requests_language(hr, language, unknown, read_only):
    body = {"name_en": "Finance", "nmae_en": "Finance", "level": 3}
    response = hr.patch("/api/v1/departments/finance/", body, HTTP_ACCEPT_LANGUAGE=language)
    assert fields_of(response) == {"nmae_en": [unknown], "level": [read_only]}


def test_an_unknown_field_is_reported_with_the_other_errors(hr):
    fields = fields_of(hr.post("/api/v1/roles/", {"code": "bad code", "head_count": 3}))
    assert set(fields) == {"code", "department", "title", "head_count"}


def test_a_read_only_field_sent_back_unchanged_is_accepted(hr):
    """An answer sent back with a change (GET, then PUT) writes the change."""
    for url, field, value in [
        ("/api/v1/departments/finance/", "name_en", "Finance and Accounting"),
        (ROLE, "headcount", 4),
        (TEAM, "name_en", "618 Festival Team"),
    ]:
        body = hr.get(url).json()
        body[field] = value
        response = hr.put(url, body)
        assert response.status_code == 200, response.content
        assert response.json()[field] == value


def test_a_writable_field_sent_unchanged_is_accepted(hr):
    department = hr.get("/api/v1/departments/finance/").json()
    response = hr.patch(
        "/api/v1/departments/finance/",
        {"name_zh_hans": department["name_zh_hans"], "parent": department["parent"]},
    )
    assert response.status_code == 200, response.content
    members = [
        {"role": m["role"], "allocation": m["allocation"]} for m in hr.get(TEAM).json()["members"]
    ]
    response = hr.patch(TEAM, {"members": members})
    assert response.status_code == 200, response.content
    assert [m["allocation"] for m in response.json()["members"]] == [
        m["allocation"] for m in members
    ]


def test_an_allocation_given_as_text_is_a_400_naming_it(hr):
    before = snapshot()
    body = {"members": [{"role": "marketing-planning-manager", "allocation": "50"}]}
    assert set(fields_of(hr.patch(TEAM, body))) == {"members[0].allocation"}
    assert snapshot() == before


def test_two_different_texts_for_the_requests_language_are_a_400_naming_both(hr):
    before = snapshot()
    body = {"name": "甲", "name_zh_hans": "乙"}
    fields = fields_of(hr.patch("/api/v1/departments/finance/", body))
    assert set(fields) == {"name", "name_zh_hans"}
    assert snapshot() == before


def test_two_different_texts_for_a_member_are_a_400_naming_both(hr):
    before = snapshot()
    member = {
        "role": "marketing-planning-manager",
        "responsibility": "甲",
        "responsibility_en": "B",
    }
    fields = fields_of(hr.patch(TEAM, {"members": [member]}, HTTP_ACCEPT_LANGUAGE="en"))
    assert set(fields) == {"members[0].responsibility", "members[0].responsibility_en"}
    assert snapshot() == before


def test_the_same_text_twice_or_texts_of_two_languages_are_accepted(hr):
    url = "/api/v1/departments/finance/"
    response = hr.patch(url, {"name": "财务部", "name_zh_hans": "财务部"})
    assert response.status_code == 200, response.content
    response = hr.patch(url, {"name": "财务中心", "name_en": "Finance"})
    assert response.status_code == 200, response.content
    department = Department.objects.get(code="finance")
    assert (department.name_zh_hans, department.name_en) == ("财务中心", "Finance")
    response = hr.patch(
        url, {"name": "Finance Centre", "name_zh_hans": "财务部"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200, response.content
    department.refresh_from_db()
    assert (department.name_zh_hans, department.name_en) == ("财务部", "Finance Centre")
