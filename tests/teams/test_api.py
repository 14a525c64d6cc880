"""The project team API: members nested, CRUD, filters, permissions, errors, ETags."""

import pytest
from django.urls import reverse

from teams.models import ProjectTeam, TeamMember
from tests.conftest import token_client
from tests.factories import DepartmentFactory, ProjectTeamFactory, RoleFactory, UserFactory

TEAMS_URL = "/api/v1/teams/"
SEED_MEMBERS = [
    "marketing-planning-manager",
    "seo-sem-specialist",
    "ecommerce-operations",
    "campaign-operations",
    "software-engineer",
    "online-customer-service",
]


def team_url(code):
    return reverse("api:team-detail", kwargs={"code": code})


def codes(response):
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


def test_team_detail_nests_its_members_in_order_with_the_owner_marked(hr):
    team = hr.get(team_url("team-618")).json()
    assert team["name"] == "618大促项目组"
    assert team["owner"] == "marketing-planning-manager"
    assert [member["role"] for member in team["members"]] == SEED_MEMBERS
    assert [member["is_owner"] for member in team["members"]] == [True] + [False] * 5
    assert team["members"][1]["department"] == "digital-operations"
    assert team["members"][1]["allocation"] == 40
    assert team["departments"] == [
        "market-research-strategy",
        "digital-operations",
        "user-growth-operations",
        "data-technology",
        "customer-service",
    ]
    assert team["starts_on"] == "2026-11-16"


def test_team_texts_follow_the_requests_language(hr):
    team = hr.get(team_url("team-618"), {"lang": "en"}).json()
    assert team["name"] == "618 Shopping Festival Project Team"
    assert team["members"][0]["responsibility"].startswith("Plan the 618")


def test_create_update_and_delete_a_team_with_members(hr, admin):
    created = hr.post(
        TEAMS_URL,
        {
            "code": "double-11",
            "name_zh_hans": "双11项目组",
            "owner": "marketing-planning-manager",
            "status": "planned",
            "starts_on": "2027-09-01",
            "ends_on": "2027-11-15",
            "members": [
                {"role": "marketing-planning-manager", "responsibility": "统筹", "allocation": 60},
                {"role": "ecommerce-operations", "responsibility": "店铺运营"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created["Location"] == "http://testserver" + team_url("double-11")
    assert [m["role"] for m in created.json()["members"]] == [
        "marketing-planning-manager",
        "ecommerce-operations",
    ]
    changed = hr.patch(
        team_url("double-11"),
        {"status": "active", "members": [{"role": "ecommerce-operations", "allocation": 80}]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert [(m["role"], m["allocation"]) for m in changed.json()["members"]] == [
        ("ecommerce-operations", 80)
    ]
    # PATCH without members keeps them.
    hr.patch(team_url("double-11"), {"name_en": "Double 11"}, format="json")
    assert TeamMember.objects.filter(team__code="double-11").count() == 1
    assert hr.delete(team_url("double-11")).status_code == 403
    assert admin.delete(team_url("double-11")).status_code == 204
    assert not ProjectTeam.objects.filter(code="double-11").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "no-such-role"}, "owner"),
        ({"owner": None}, "owner"),
        ({"starts_on": "2027-06-30", "ends_on": "2027-06-01"}, "ends_on"),
        ({"status": "finished"}, "status"),
        (
            {"members": [{"role": "seo-sem-specialist"}, {"role": "seo-sem-specialist"}]},
            "members[1].role",
        ),
        ({"members": [{"role": "seo-sem-specialist", "allocation": 0}]}, "members[0].allocation"),
        (
            {"members": [{"role": "seo-sem-specialist", "allocation": 101}]},
            "members[0].allocation",
        ),
        ({"members": [{"role": "nobody"}]}, "members[0].role"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(hr, body, field):
    before = list(TeamMember.objects.values_list("team_id", "role_id", "allocation"))
    response = hr.patch(team_url("team-618"), body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["status"] == 400 and field in error["fields"], error
    assert list(TeamMember.objects.values_list("team_id", "role_id", "allocation")) == before
    assert ProjectTeam.objects.get(code="team-618").status == "active"


def test_a_new_team_needs_a_name_in_simplified_chinese_and_an_owner(hr):
    response = hr.post(TEAMS_URL, {"code": "nameless"}, format="json")
    assert response.status_code == 400
    assert {"name", "owner"} <= set(response.json()["error"]["fields"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "active"}, ["team-618"]),
        ({"status": "planned"}, ["planned-team"]),
        ({"role": "seo-sem-specialist"}, ["team-618"]),
        ({"role": "marketing-planning-manager"}, ["planned-team", "team-618"]),
        ({"department": "digital-operations"}, ["team-618"]),
        ({"department": "market-research-strategy"}, ["planned-team", "team-618"]),
        ({"department": "finance"}, []),
        ({"search": "CPC"}, ["team-618"]),
        ({"active": "false"}, ["closed-team"]),
    ],
)
def test_filters(hr, query, expected):
    owner = ProjectTeam.objects.get(code="team-618").owner
    ProjectTeamFactory(code="planned-team", status="planned", owner=owner)
    ProjectTeamFactory(code="closed-team", status="closed")
    assert sorted(codes(hr.get(TEAMS_URL, query))) == expected


def test_unknown_filter_codes_are_400_naming_the_filter(hr):
    response = hr.get(TEAMS_URL, {"role": "nobody"})
    assert response.status_code == 400 and "role" in response.json()["error"]["fields"]


def test_staff_see_neither_archived_nor_closed_teams_nor_hidden_members(seed_org, viewer, hr):
    client = token_client(viewer)
    ProjectTeamFactory(code="archived-team", is_active=False)
    ProjectTeamFactory(code="closed-team", status="closed")
    assert codes(client.get(TEAMS_URL)) == ["team-618"]
    assert client.get(team_url("archived-team")).status_code == 404
    assert hr.get(team_url("archived-team")).status_code == 200
    # A member whose role is archived disappears for staff, stays for HR.
    from roles.models import Role

    Role.objects.filter(code="software-engineer").update(is_active=False)
    staff = [m["role"] for m in client.get(team_url("team-618")).json()["members"]]
    assert "software-engineer" not in staff and len(staff) == 5
    assert len(hr.get(team_url("team-618")).json()["members"]) == 6


def test_permission_matrix(seed_org, client, viewer):
    anonymous = client.get(TEAMS_URL)
    assert anonymous.status_code == 401
    reader = token_client(viewer)
    assert reader.get(TEAMS_URL).status_code == 200
    body = {"code": "t", "name_zh_hans": "项目组", "owner": "data-analyst"}
    assert reader.post(TEAMS_URL, body, format="json").status_code == 403
    closing = reader.patch(team_url("team-618"), {"status": "closed"}, format="json")
    assert closing.status_code == 403
    assert reader.delete(team_url("team-618")).status_code == 403
    editor = token_client(UserFactory(username="hr2", groups=["HR editors"]))
    assert editor.post(TEAMS_URL, body, format="json").status_code == 201
    assert editor.delete(team_url("t")).status_code == 403


def test_etag_answers_304_until_a_team_changes(hr):
    first = hr.get(team_url("team-618"))
    etag = first["ETag"]
    assert hr.get(team_url("team-618"), HTTP_IF_NONE_MATCH=etag).status_code == 304
    hr.patch(team_url("team-618"), {"purpose_en": "New purpose"}, format="json")
    assert hr.get(team_url("team-618"), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_list_is_paginated(hr):
    owner = RoleFactory(department=DepartmentFactory())
    for number in range(3):
        ProjectTeamFactory(code=f"z-team-{number}", owner=owner)
    page = hr.get(TEAMS_URL, {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]


def test_role_detail_lists_its_teams(hr):
    role = hr.get(reverse("api:role-detail", kwargs={"code": "seo-sem-specialist"})).json()
    assert role["teams"] == [
        {
            "code": "team-618",
            "name": "618大促项目组",
            "status": "active",
            "is_owner": False,
            "responsibility": role["teams"][0]["responsibility"],
            "allocation": 40,
        }
    ]
    owner = hr.get(reverse("api:role-detail", kwargs={"code": "marketing-planning-manager"}))
    assert owner.json()["teams"][0]["is_owner"] is True
