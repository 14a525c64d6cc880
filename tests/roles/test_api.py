"""The role and duty API: CRUD, duties nested in order, and every filter."""

import pytest
from django.urls import reverse

from departments.models import Department
from roles.models import Duty, Role
from tests.factories import DepartmentFactory, RoleFactory

ROLES_URL = "/api/v1/roles/"
DUTIES_URL = "/api/v1/duties/"
DIGITAL_ROLES = ["seo-sem-specialist", "social-media-operations", "ecommerce-operations"]


def role_url(code):
    return reverse("api:role-detail", kwargs={"code": code})


def duty_url(pk):
    return reverse("api:duty-detail", kwargs={"pk": pk})


def codes(response):
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


def field_errors(response):
    return response.json()["error"]["fields"]


def test_role_detail_nests_its_duties_in_order(hr):
    role = hr.get(role_url("seo-sem-specialist")).json()
    assert role["title"] == "SEO/SEM优化师"
    assert role["department"] == "digital-operations"
    assert [duty["area"] for duty in role["duties"]] == ["SEO方向"] * 3 + ["SEM方向"] * 3
    assert [duty["sort_order"] for duty in role["duties"]] == list(range(6))
    assert role["duties"][0]["text"].startswith("研究搜索引擎算法")


def test_role_create_read_update_delete_round_trip(hr, admin):
    created = hr.post(
        ROLES_URL,
        {
            "code": "live-commerce-host",
            "title": "直播运营",
            "department": "digital-operations",
            "reports_to": "seo-sem-specialist",
            "headcount": 2,
        },
    )
    assert created.status_code == 201
    assert created["Location"] == "http://testserver" + role_url("live-commerce-host")
    body = created.json()
    assert body["duties"] == []
    assert body["sort_order"] == 3, "a new role goes after the department's other roles"
    assert body["reports_to"] == "seo-sem-specialist"

    assert hr.get(role_url("live-commerce-host")).json() == body

    patched = hr.patch(role_url("live-commerce-host"), {"department": "finance", "headcount": 3})
    assert patched.status_code == 200
    assert patched.json()["department"] == "finance"

    replaced = hr.put(
        role_url("live-commerce-host"),
        {"code": "live-commerce-host", "title": "主播", "department": "finance"},
    )
    assert replaced.status_code == 200
    assert replaced.json()["title"] == "主播"
    assert replaced.json()["reports_to"] == "seo-sem-specialist", "PUT leaves out optional fields"

    assert admin.delete(role_url("live-commerce-host")).status_code == 204
    assert not Role.objects.filter(code="live-commerce-host").exists()


def test_the_owner_of_a_project_team_cannot_be_deleted_but_archived(admin):
    response = admin.delete(role_url("marketing-planning-manager"))
    assert response.status_code == 409, response.content
    assert Role.objects.filter(code="marketing-planning-manager").exists()


def test_deleting_a_role_deletes_its_duties(admin):
    duties = Duty.objects.filter(role__code="seo-sem-specialist").count()
    total = Duty.objects.count()
    assert admin.delete(role_url("seo-sem-specialist")).status_code == 204
    assert Duty.objects.count() == total - duties


@pytest.mark.parametrize(
    ("code", "body", "field"),
    [
        ("seo-sem-specialist", {"reports_to": "seo-sem-specialist"}, "reports_to"),
        ("data-analyst", {"reports_to": "no-such-role"}, "reports_to"),
        ("data-analyst", {"department": "no-such-department"}, "department"),
        ("data-analyst", {"code": "finance-manager!"}, "code"),
        ("data-analyst", {"code": "seo-sem-specialist"}, "code"),
        ("data-analyst", {"headcount": -1}, "headcount"),
        ("data-analyst", {"title": ""}, "title"),
    ],
)
def test_bad_role_input_is_a_400_naming_the_field(hr, code, body, field):
    before = list(Role.objects.values_list("code", "department_id", "reports_to_id", "title"))
    response = hr.patch(role_url(code), body)
    assert response.status_code == 400
    assert field in field_errors(response)
    assert list(Role.objects.values_list("code", "department_id", "reports_to_id", "title")) == (
        before
    )


def test_a_reporting_cycle_is_refused(hr):
    assert hr.patch(role_url("data-analyst"), {"reports_to": "software-engineer"}).status_code == (
        200
    )
    response = hr.patch(role_url("software-engineer"), {"reports_to": "data-analyst"})
    assert response.status_code == 400
    assert "reports_to" in field_errors(response)
    assert Role.objects.get(code="software-engineer").reports_to is None


@pytest.fixture
def digital_team(seed_org):
    """Add a sub-department of 数字运营部 with one active and one archived role."""
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="seo-team", parent=digital)
    RoleFactory(code="seo-writer", department=team, title="SEO文案", sort_order=0)
    RoleFactory(
        code="old-seo-role",
        department=team,
        title="旧岗位",
        is_active=False,
        sort_order=1,
        reports_to=Role.objects.get(code="seo-sem-specialist"),
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"department": "digital-operations"}, DIGITAL_ROLES),
        ({"under": "digital-operations"}, [*DIGITAL_ROLES, "seo-writer", "old-seo-role"]),
        ({"under": "seo-team"}, ["seo-writer", "old-seo-role"]),
        ({"under": "digital-operations", "active": "true"}, [*DIGITAL_ROLES, "seo-writer"]),
        ({"active": "false"}, ["old-seo-role"]),
        ({"reports_to": "seo-sem-specialist"}, ["old-seo-role"]),
        ({"search": "优化师"}, ["seo-sem-specialist", "recruitment-specialist"]),
        ({"search": "清风算法"}, ["seo-sem-specialist"]),
        ({"search": "胜任力模型"}, ["recruitment-specialist"]),
        ({"search": "sem方向"}, ["seo-sem-specialist"]),
        (
            {"search": "seo", "under": "digital-operations"},
            ["seo-sem-specialist", "seo-writer", "old-seo-role"],
        ),
        (
            {"department": "digital-operations", "ordering": "-code"},
            sorted(DIGITAL_ROLES, reverse=True),
        ),
        ({"under": "seo-team", "ordering": "-title"}, ["old-seo-role", "seo-writer"]),
    ],
)
def test_role_filters(hr, digital_team, params, expected):
    assert codes(hr.get(ROLES_URL, params)) == expected


def test_roles_under_a_department_come_in_tree_order(hr, digital_team):
    found = codes(hr.get(ROLES_URL, {"under": "company", "page_size": 100}))
    assert len(found) == 21
    assert found[:2] == ["market-research-specialist", "marketing-planning-manager"]
    assert found.index("old-seo-role") == found.index("seo-writer") + 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"department": "no-such-department"}, "department"),
        ({"under": "no-such-department"}, "under"),
        ({"reports_to": "no-such-role"}, "reports_to"),
        ({"active": "yes please"}, "active"),
        ({"ordering": "salary"}, "ordering"),
    ],
)
def test_bad_role_filters_are_a_400_naming_them(hr, params, field):
    response = hr.get(ROLES_URL, params)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_duty_create_read_update_delete_round_trip(hr, admin):
    created = hr.post(
        DUTIES_URL, {"role": "seo-sem-specialist", "area": "SEO方向", "text": "维护站点地图"}
    )
    assert created.status_code == 201
    body = created.json()
    assert created["Location"] == "http://testserver" + duty_url(body["id"])
    assert body["sort_order"] == 6, "a new duty goes after the role's other duties"
    assert hr.get(role_url("seo-sem-specialist")).json()["duties"][-1]["text"] == "维护站点地图"

    assert hr.get(duty_url(body["id"])).json() == body
    patched = hr.patch(duty_url(body["id"]), {"text": "维护站点地图与收录"})
    assert patched.status_code == 200
    first = hr.get(role_url("seo-sem-specialist")).json()["duties"][0]
    assert hr.patch(duty_url(first["id"]), {"sort_order": 7}).status_code == 200
    duties = hr.get(role_url("seo-sem-specialist")).json()["duties"]
    assert [duty["id"] for duty in duties[-2:]] == [body["id"], first["id"]], (
        "sort_order keeps the duties' order"
    )

    replaced = hr.put(duty_url(body["id"]), {"role": "data-analyst", "text": "数据看板"})
    assert replaced.status_code == 200
    assert replaced.json()["role"] == "data-analyst"
    assert replaced.json()["area"] == "SEO方向"

    assert admin.delete(duty_url(body["id"])).status_code == 204
    assert hr.get(duty_url(body["id"])).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "no-such-role", "text": "职责"}, "role"),
        ({"role": "seo-sem-specialist"}, "text"),
        ({"role": "seo-sem-specialist", "text": "职责", "sort_order": -1}, "sort_order"),
        ({"role": "seo-sem-specialist", "text": "职责", "area": "长" * 101}, "area"),
    ],
)
def test_bad_duty_input_is_a_400_naming_the_field(hr, body, field):
    count = Duty.objects.count()
    response = hr.post(DUTIES_URL, body)
    assert response.status_code == 400
    assert field in field_errors(response)
    assert Duty.objects.count() == count


def duty_texts(response):
    assert response.status_code == 200, response.content
    return [item["text"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"role": "seo-sem-specialist"}, 6),
        ({"department": "digital-operations"}, 12),
        ({"under": "digital-operations"}, 13),
        ({"under": "seo-team"}, 1),
        ({"area": "SEO方向"}, 3),
        ({"area": "SEM方向", "role": "seo-sem-specialist"}, 3),
        ({"search": "清风算法"}, 1),
        ({"search": "sem方向"}, 3),
    ],
)
def test_duty_filters(hr, digital_team, params, count):
    Duty.objects.create(role=Role.objects.get(code="seo-writer"), text="撰写SEO文章")
    params = {**params, "page_size": 100}
    assert len(duty_texts(hr.get(DUTIES_URL, params))) == count


def test_duties_of_a_role_come_in_their_sort_order(hr):
    role = Role.objects.get(code="seo-sem-specialist")
    last = role.duties.order_by("sort_order").last()
    last.sort_order = 0
    last.save()
    for duty in role.duties.exclude(pk=last.pk):
        duty.sort_order += 1
        duty.save()
    listed = duty_texts(hr.get(DUTIES_URL, {"role": "seo-sem-specialist"}))
    assert listed[0] == last.text
    assert listed == [duty["text"] for duty in hr.get(role_url(role.code)).json()["duties"]]


def test_bad_duty_filters_are_a_400_naming_them(hr):
    response = hr.get(DUTIES_URL, {"role": "no-such-role"})
    assert response.status_code == 400
    assert "role" in field_errors(response)


def test_role_and_duty_details_answer_304_to_a_current_etag(hr):
    duty = Duty.objects.first()
    for url in (role_url("seo-sem-specialist"), duty_url(duty.pk)):
        etag = hr.get(url)["ETag"]
        assert hr.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    hr.patch(duty_url(duty.pk), {"text": "新的职责"})
    assert hr.get(duty_url(duty.pk), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_unknown_role_code_and_duty_id_are_404(hr):
    assert hr.get(role_url("no-such-role")).status_code == 404
    assert hr.get(duty_url(10**9)).status_code == 404
    assert hr.get("/api/v1/duties/not-a-number/").status_code == 404


def test_a_role_s_headcount_is_null_until_it_is_planned(hr):
    assert hr.get(role_url("data-analyst")).json()["headcount"] is None

    created = hr.post(
        ROLES_URL, {"code": "live-host", "title": "直播运营", "department": "digital-operations"}
    )
    assert created.json()["headcount"] is None
    assert hr.patch(role_url("live-host"), {"headcount": 2}).json()["headcount"] == 2
    assert hr.patch(role_url("live-host"), {"headcount": None}).json()["headcount"] is None
    assert Role.objects.get(code="live-host").headcount is None
