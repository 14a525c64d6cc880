"""The department API: CRUD by code, filters, the tree, moves and their refusals."""

import pytest
from django.urls import reverse

from departments.models import Department
from departments.services import tree_problems
from tests.factories import DepartmentFactory


def detail_url(code):
    return reverse("api:department-detail", kwargs={"code": code})


def action_url(code, name):
    return reverse(f"api:department-{name}", kwargs={"code": code})


LIST_URL = "/api/v1/departments/"
TREE_URL = "/api/v1/departments/tree/"


def child_codes(code):
    return [child.code for child in Department.objects.get(code=code).get_children()]


def field_errors(response):
    return response.json()["error"]["fields"]


def test_list_pages_departments_in_tree_order(hr):
    response = hr.get(LIST_URL, {"page_size": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 9
    assert [item["code"] for item in body["results"]] == [
        "company",
        "market-research-strategy",
        "brand-content-marketing",
    ]
    assert body["next"].endswith("page=2&page_size=3")
    assert body["previous"] is None


def test_department_create_read_update_delete_round_trip(hr, admin):
    created = hr.post(
        LIST_URL,
        {"code": "live-commerce", "name": "直播电商组", "parent": "digital-operations"},
    )
    assert created.status_code == 201
    assert created["Location"] == "http://testserver" + detail_url("live-commerce")
    assert created.json()["parent"] == "digital-operations"
    assert created.json()["level"] == 2
    assert child_codes("digital-operations") == ["live-commerce"]

    read = hr.get(detail_url("live-commerce")).json()
    assert read == created.json()

    patched = hr.patch(detail_url("live-commerce"), {"name_en": "Live Commerce"})
    assert patched.status_code == 200
    assert patched.json()["name_en"] == "Live Commerce"

    replaced = hr.put(
        detail_url("live-commerce"),
        {
            "code": "live-commerce",
            "name": "直播组",
            "tagline": "带货",
            "parent": "digital-operations",
        },
    )
    assert replaced.status_code == 200
    assert Department.objects.get(code="live-commerce").tagline == "带货"

    assert admin.delete(detail_url("live-commerce")).status_code == 204
    assert not Department.objects.filter(code="live-commerce").exists()
    assert hr.get(detail_url("live-commerce")).status_code == 404
    assert tree_problems() == []


def test_creating_a_second_root_is_refused_naming_parent(hr):
    response = hr.post(LIST_URL, {"code": "other-company", "name": "另一家公司"})
    assert response.status_code == 400
    assert list(field_errors(response)) == ["parent"]
    assert not Department.objects.filter(code="other-company").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "bad code", "name": "空格"}, "code"),
        ({"code": "finance", "name": "重复", "parent": "company"}, "code"),
        ({"code": "tree", "name": "保留", "parent": "company"}, "code"),
        ({"code": "new-one", "parent": "company"}, "name"),
        ({"code": "new-one", "name": "新部门", "parent": "no-such-department"}, "parent"),
    ],
)
def test_bad_department_input_is_a_400_naming_the_field(hr, body, field):
    count = Department.objects.count()
    response = hr.post(LIST_URL, body)
    assert response.status_code == 400
    assert field in field_errors(response)
    assert response.json()["error"]["code"] == "invalid"
    assert Department.objects.count() == count


def test_deleting_a_department_with_roles_is_a_409_with_the_reason(admin):
    response = admin.delete(detail_url("digital-operations"))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "protected"
    assert "数字运营部" in error["message"]
    assert Department.objects.filter(code="digital-operations").exists()


def test_deleting_a_department_with_children_is_a_409(admin):
    parent = DepartmentFactory(code="empty-parent", parent=Department.objects.get(code="finance"))
    DepartmentFactory(code="child", parent=parent)
    response = admin.delete(detail_url("empty-parent"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "protected"
    assert Department.objects.filter(code="empty-parent").exists()


def test_unknown_code_is_a_404_in_the_error_format(hr):
    response = hr.get(detail_url("no-such-department"))
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_api_url_is_a_404_in_the_error_format(hr):
    response = hr.get("/api/v1/departments")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "/api/v1/departments/" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"parent": "company"}, 8),
        ({"under": "digital-operations"}, ["digital-operations", "seo-team", "sem-team"]),
        ({"parent": "digital-operations"}, ["seo-team", "sem-team"]),
        ({"active": "false"}, ["sem-team"]),
        ({"active": "true", "under": "digital-operations"}, ["digital-operations", "seo-team"]),
        ({"search": "数字"}, ["digital-operations"]),
        ({"search": "Finance"}, ["finance"]),
        ({"search": "搜索引擎"}, ["digital-operations"]),
    ],
)
def test_department_filters(hr, params, codes):
    digital = Department.objects.get(code="digital-operations")
    DepartmentFactory(code="seo-team", name="SEO组", parent=digital)
    DepartmentFactory(code="sem-team", name="SEM组", parent=digital, is_active=False)
    response = hr.get(LIST_URL, params)
    assert response.status_code == 200
    found = [item["code"] for item in response.json()["results"]]
    if isinstance(codes, int):
        assert len(found) == codes
    else:
        assert found == codes


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"under": "no-such-department"}, "under"),
        ({"parent": "not a code"}, "parent"),
        ({"active": "maybe"}, "active"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page": "first"}, "page"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_them(hr, params, field):
    response = hr.get(LIST_URL, params)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_a_page_past_the_end_is_a_404(hr):
    assert hr.get(LIST_URL, {"page": 2}).status_code == 404


def tree_codes(node):
    return {node["code"]: [tree_codes(child) for child in node["children"]]}


@pytest.fixture
def deeper(seed_org):
    """Add 数字运营部 > seo-team > seo-content below the seed."""
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="seo-team", parent=digital)
    DepartmentFactory(code="seo-content", parent=team)


def test_tree_nests_the_whole_organisation_in_tree_order(hr, deeper):
    response = hr.get(TREE_URL)
    assert response.status_code == 200
    tree = response.json()
    assert tree["code"] == "company"
    assert tree["descendant_count"] == 10
    assert [child["code"] for child in tree["children"]] == child_codes("company")
    digital = next(c for c in tree["children"] if c["code"] == "digital-operations")
    assert tree_codes(digital) == {"digital-operations": [{"seo-team": [{"seo-content": []}]}]}
    assert tree["roles"] is None


def test_tree_root_starts_the_answer_at_that_department(hr, deeper):
    tree = hr.get(TREE_URL, {"root": "digital-operations"}).json()
    assert tree_codes(tree) == {"digital-operations": [{"seo-team": [{"seo-content": []}]}]}
    assert tree["level"] == 1


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (0, {"digital-operations": []}),
        (1, {"digital-operations": [{"seo-team": []}]}),
        (2, {"digital-operations": [{"seo-team": [{"seo-content": []}]}]}),
        (9, {"digital-operations": [{"seo-team": [{"seo-content": []}]}]}),
    ],
)
def test_tree_depth_counts_levels_below_the_root_of_the_answer(hr, deeper, depth, expected):
    tree = hr.get(TREE_URL, {"root": "digital-operations", "depth": depth}).json()
    assert tree_codes(tree) == expected
    assert tree["descendant_count"] == 2


def test_tree_depth_one_from_the_company_lists_its_departments_only(hr, deeper):
    tree = hr.get(TREE_URL, {"depth": 1}).json()
    assert len(tree["children"]) == 8
    assert all(child["children"] == [] for child in tree["children"])


def test_tree_include_roles_lists_each_departments_roles_in_order(hr):
    tree = hr.get(TREE_URL, {"include_roles": "1"}).json()
    digital = next(c for c in tree["children"] if c["code"] == "digital-operations")
    assert [role["code"] for role in digital["roles"]] == [
        "seo-sem-specialist",
        "social-media-operations",
        "ecommerce-operations",
    ]
    assert digital["roles"][0]["title"] == "SEO/SEM优化师"
    assert digital["roles"][0]["url"].endswith("/api/v1/roles/seo-sem-specialist/")
    assert tree["roles"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"depth": "-1"}, "depth"),
        ({"depth": "two"}, "depth"),
        ({"root": "no-such-department"}, "root"),
        ({"include_roles": "perhaps"}, "include_roles"),
    ],
)
def test_bad_tree_parameters_are_a_400_naming_them(hr, params, field):
    response = hr.get(TREE_URL, params)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_ancestors_descendants_and_children(hr, deeper):
    ancestors = hr.get(action_url("seo-content", "ancestors")).json()
    assert [d["code"] for d in ancestors["results"]] == [
        "company",
        "digital-operations",
        "seo-team",
    ]
    descendants = hr.get(action_url("digital-operations", "descendants")).json()
    assert [d["code"] for d in descendants["results"]] == ["seo-team", "seo-content"]
    children = hr.get(action_url("company", "children"), {"page_size": 100}).json()
    assert [d["code"] for d in children["results"]] == child_codes("company")
    assert hr.get(action_url("no-such-department", "children")).status_code == 404


@pytest.mark.parametrize(
    ("position", "parent", "order"),
    [
        ("first-child", "digital-operations", ["finance", "seo-team"]),
        ("last-child", "digital-operations", ["seo-team", "finance"]),
        ("left", "company", ["finance", "digital-operations"]),
        ("right", "company", ["digital-operations", "finance"]),
    ],
)
def test_move_in_every_position(hr, seed_org, position, parent, order):
    DepartmentFactory(code="seo-team", parent=Department.objects.get(code="digital-operations"))
    response = hr.post(
        action_url("finance", "move"), {"target": "digital-operations", "position": position}
    )
    assert response.status_code == 200
    assert response.json()["code"] == "finance"
    assert response.json()["parent"] == parent
    siblings = child_codes(parent)
    assert [code for code in siblings if code in order] == order
    if position in ("left", "right"):
        index = siblings.index("digital-operations")
        assert siblings[index + (-1 if position == "left" else 1)] == "finance"
    assert tree_problems() == []


@pytest.mark.parametrize(
    ("code", "body", "field"),
    [
        (
            "digital-operations",
            {"target": "digital-operations", "position": "last-child"},
            "target",
        ),
        ("digital-operations", {"target": "seo-content", "position": "first-child"}, "target"),
        ("digital-operations", {"target": "seo-team", "position": "left"}, "target"),
        ("company", {"target": "finance", "position": "last-child"}, "target"),
        ("finance", {"target": "company", "position": "left"}, "target"),
        ("finance", {"target": "no-such-department", "position": "left"}, "target"),
        ("finance", {"target": "company", "position": "above"}, "position"),
        ("finance", {"position": "last-child"}, "target"),
        ("finance", {"target": "company"}, "position"),
    ],
)
def test_invalid_moves_are_a_400_naming_the_field_and_change_nothing(hr, deeper, code, body, field):
    before = list(Department.objects.values_list("code", "parent_id", "lft", "rght"))
    response = hr.post(action_url(code, "move"), body)
    assert response.status_code == 400
    assert field in field_errors(response)
    assert list(Department.objects.values_list("code", "parent_id", "lft", "rght")) == before


def test_move_of_an_unknown_department_is_a_404(hr):
    response = hr.post(
        action_url("no-such-department", "move"), {"target": "company", "position": "left"}
    )
    assert response.status_code == 404


def test_patching_parent_moves_the_department_to_the_end_of_the_new_parent(hr, deeper):
    response = hr.patch(detail_url("seo-team"), {"parent": "finance", "name": "搜索组"})
    assert response.status_code == 200
    assert response.json()["parent"] == "finance"
    assert response.json()["level"] == 2
    assert child_codes("finance") == ["seo-team"]
    assert child_codes("seo-team") == ["seo-content"]
    assert Department.objects.get(code="seo-team").name == "搜索组"
    assert tree_problems() == []


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("digital-operations", "digital-operations"),
        ("digital-operations", "seo-content"),
        ("company", "finance"),
        ("finance", "no-such-department"),
        ("finance", None),
    ],
)
def test_patching_parent_takes_the_checks_of_a_move(hr, deeper, code, parent):
    before = list(Department.objects.values_list("code", "parent_id", "lft", "rght", "name"))
    response = hr.patch(detail_url(code), {"parent": parent, "name": "改名"})
    assert response.status_code == 400
    assert list(field_errors(response)) == ["parent"]
    after = list(Department.objects.values_list("code", "parent_id", "lft", "rght", "name"))
    assert after == before


def test_detail_and_tree_answer_304_to_a_current_etag(hr):
    for url in (detail_url("finance"), TREE_URL):
        first = hr.get(url)
        etag = first["ETag"]
        assert etag
        again = hr.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304
        assert again.content == b""
    hr.patch(detail_url("finance"), {"tagline": "精打细算"})
    for url in (detail_url("finance"), TREE_URL):
        changed = hr.get(url, HTTP_IF_NONE_MATCH=etag)
        assert changed.status_code == 200


def test_etag_is_the_same_for_the_same_content(hr):
    assert hr.get(detail_url("finance"))["ETag"] == hr.get(detail_url("finance"))["ETag"]
    assert hr.get(detail_url("finance"))["ETag"] != hr.get(detail_url("company"))["ETag"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_write_to_the_reserved_code_tree_is_a_404_like_any_unknown_code(hr, method):
    response = getattr(hr, method)("/api/v1/departments/tree/", {"name": "树"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert hr.post("/api/v1/departments/tree/", {}).status_code == 405
