"""Archived means hidden: nothing below an archived department reaches those who may not see
archived items, on any page, in search or in the API; those who may change it see it all.

The organisation here was written around the write path, as older versions allowed: an
active sub-department (with an active role and duty) under an archived department. Every read
path must hide it by itself, not only trust the write path's invariant.
"""

import re

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from departments.models import Department
from tests.conftest import token_client
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory

HIDDEN_TEXTS = ("隐藏小组", "隐藏岗位", "隐藏职责")


@pytest.fixture
def hidden(seed_org):
    """An active team with a role and a duty below 数字运营部, which is archived."""
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="hidden-team", name="隐藏小组", tagline="", parent=digital)
    role = RoleFactory(code="hidden-role", title="隐藏岗位", department=team)
    DutyFactory(role=role, text="隐藏职责")
    RoleFactory(code="visible-reporter", title="汇报岗位", department=seed_org, reports_to=role)
    Department.objects.filter(code="digital-operations").update(is_active=False)
    return team


def page(client, name, code, query=""):
    return client.get(reverse(name, kwargs={"code": code}) + query)


@pytest.mark.parametrize("public", [False, True], ids=["viewer", "anonymous with public read"])
def test_pages_and_search_hide_everything_below_an_archived_department(
    client, viewer, hidden, public, settings
):
    settings.ORGPORTAL_PUBLIC_READ = public
    if not public:
        client.force_login(viewer)
    assert page(client, "departments:detail", "hidden-team").status_code == 404
    assert page(client, "roles:detail", "hidden-role").status_code == 404
    chart = client.get(reverse("chart:home")).content.decode()
    for text in HIDDEN_TEXTS:
        response = client.get(reverse("search:results"), {"q": text})
        assert response.status_code == 200
        # The query itself is repeated in the title and the box; no result may lead anywhere.
        assert "/hidden-" not in response.content.decode()
        assert text not in chart
    assert 'value="hidden-team"' not in client.get(reverse("search:results")).content.decode()
    reporter = page(client, "roles:detail", "visible-reporter").content.decode()
    assert "隐藏岗位" not in reporter


def test_editors_see_the_hidden_subtree_when_they_ask(client, hidden, superuser):
    client.force_login(superuser)
    assert page(client, "departments:detail", "hidden-team").status_code == 404
    response = page(client, "departments:detail", "hidden-team", "?archived=1")
    assert response.status_code == 200
    breadcrumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', response.content.decode(), re.S)
    assert "数字运营部" in breadcrumbs.group(0)
    assert page(client, "roles:detail", "hidden-role", "?archived=1").status_code == 200
    found = client.get(reverse("search:results"), {"q": "隐藏职责", "archived": "1"})
    assert "隐藏职责" in found.content.decode()


API_HIDDEN = [
    "/api/v1/departments/hidden-team/",
    "/api/v1/departments/hidden-team/ancestors/",
    "/api/v1/departments/hidden-team/children/",
    "/api/v1/departments/digital-operations/descendants/",
    "/api/v1/roles/hidden-role/",
]


def codes(response):
    assert response.status_code == 200, response.content
    return {item["code"] for item in response.json()["results"]}


def tree_codes(node):
    yield node["code"]
    for role in node["roles"] or []:
        yield role["code"]
    for child in node["children"]:
        yield from tree_codes(child)


@pytest.mark.parametrize(
    "public", [False, True], ids=["viewer token", "anonymous with public read"]
)
def test_the_api_hides_everything_below_an_archived_department(hidden, viewer, public):
    client = APIClient() if public else token_client(viewer)
    with override_settings(ORGPORTAL_PUBLIC_READ=public):
        for url in API_HIDDEN:
            response = client.get(url)
            assert response.status_code == 404, url
            assert response.json()["error"]["code"] == "not_found"
        departments = codes(client.get("/api/v1/departments/?page_size=500"))
        assert not departments & {"hidden-team", "digital-operations"}
        assert codes(client.get("/api/v1/departments/?active=false")) == set()
        roles = codes(client.get("/api/v1/roles/?page_size=500"))
        assert "hidden-role" not in roles and "seo-sem-specialist" not in roles
        assert codes(client.get("/api/v1/roles/?under=company&active=true")) == roles
        duties = client.get("/api/v1/duties/?page_size=500").json()["results"]
        assert "隐藏职责" not in {duty["text"] for duty in duties}
        tree = client.get("/api/v1/departments/tree/?include_roles=1").json()
        assert not set(tree_codes(tree)) & {"hidden-team", "hidden-role", "digital-operations"}
        company = client.get("/api/v1/departments/company/").json()
        assert company["descendant_count"] == tree["descendant_count"] == 7
        for parameter in ("root=hidden-team", "root=digital-operations"):
            response = client.get(f"/api/v1/departments/tree/?{parameter}")
            assert set(response.json()["error"]["fields"]) == {"root"}
        for url in (
            "/api/v1/roles/?under=digital-operations",
            "/api/v1/roles/?department=hidden-team",
            "/api/v1/duties/?role=hidden-role",
            "/api/v1/departments/?parent=digital-operations",
        ):
            assert client.get(url).status_code == 400, url
        reporter = client.get("/api/v1/roles/visible-reporter/").json()
        assert reporter["reports_to"] is None


def test_the_export_for_a_viewer_with_view_permission_leaves_hidden_parts_out(hidden, api):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    reader = UserFactory(username="reader")
    reader.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_department", "view_role", "view_duty"])
    )
    text = b"".join(api(reader).get("/api/v1/export/").streaming_content).decode()
    assert "hidden-team" not in text and "digital-operations" not in text
    assert "visible-reporter" in text and "hidden-role" not in text


def test_editors_read_archived_items_through_the_api(hidden, hr):
    for url in API_HIDDEN:
        assert hr.get(url).status_code == 200, url
    assert codes(hr.get("/api/v1/departments/?active=false")) == {
        "digital-operations",
        "hidden-team",
    }
    archived_roles = codes(hr.get("/api/v1/roles/?active=false&page_size=500"))
    assert {"hidden-role", "seo-sem-specialist"} <= archived_roles
    active_roles = codes(hr.get("/api/v1/roles/?under=company&active=true&page_size=500"))
    assert not active_roles & archived_roles
    assert hr.get("/api/v1/roles/visible-reporter/").json()["reports_to"] == "hidden-role"
    assert "hidden-team" in b"".join(hr.get("/api/v1/export/").streaming_content).decode()
    company = hr.get("/api/v1/departments/company/").json()
    assert company["descendant_count"] == 9


@pytest.mark.parametrize("url", ["/api/v1/departments/tree/?include_roles=1", "/api/v1/roles/"])
def test_a_viewers_read_runs_a_fixed_number_of_queries(
    url, hidden, viewer, django_assert_num_queries
):
    # The same count as for an editor, plus the hidden departments for descendant counts.
    client = token_client(viewer)
    # The token lookup reads the organisation version the tree needs: no query of its own.
    expected = 4 if "tree" in url else 3
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
