"""Wrong types are a 400 naming the field, not quietly converted; pages past the end are 404."""

import pytest

from departments.models import Department
from roles.models import Duty, Role


def fields_of(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    return error["fields"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/departments/", {"code": 12345, "name": "部门", "parent": "company"}, "code"),
        ("/api/v1/departments/", {"code": "d", "name": 7, "parent": "company"}, "name"),
        ("/api/v1/departments/", {"code": "d", "name": "部", "parent": 1}, "parent"),
        ("/api/v1/departments/", {"code": "d", "name": "部", "is_active": "yes"}, "is_active"),
        (
            "/api/v1/roles/",
            {"code": "r", "title": "岗", "department": "finance", "headcount": "3"},
            "headcount",
        ),
        (
            "/api/v1/roles/",
            {"code": "r", "title": "岗", "department": "finance", "headcount": 2.5},
            "headcount",
        ),
        (
            "/api/v1/roles/",
            {"code": "r", "title": "岗", "department": "finance", "reports_to": ""},
            "reports_to",
        ),
        ("/api/v1/roles/", {"code": "r", "title": False, "department": "finance"}, "title"),
        ("/api/v1/duties/", {"role": "budget-management-specialist", "text": 0}, "text"),
        (
            "/api/v1/duties/",
            {"role": "budget-management-specialist", "text": "t", "area": ["a"]},
            "area",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_a_400_naming_the_field(hr, url, body, field):
    counts = (Department.objects.count(), Role.objects.count(), Duty.objects.count())
    assert set(fields_of(hr.post(url, body))) == {field}
    assert (Department.objects.count(), Role.objects.count(), Duty.objects.count()) == counts


def test_an_empty_reports_to_in_a_patch_is_refused_and_null_clears_it(hr):
    role = Role.objects.exclude(reports_to=None).first() or Role.objects.first()
    assert set(fields_of(hr.patch(f"/api/v1/roles/{role.code}/", {"reports_to": ""}))) == {
        "reports_to"
    }
    response = hr.patch(f"/api/v1/roles/{role.code}/", {"reports_to": None})
    assert response.status_code == 200 and response.json()["reports_to"] is None


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/departments/tree/?root=", "root"),
        ("/api/v1/export/?format=", "format"),
        ("/api/v1/export/?format=xml", "format"),
        ("/api/v1/departments/?format=", "format"),
        ("/api/v1/departments/?format=yaml", "format"),
    ],
)
def test_an_empty_or_unknown_query_value_is_a_400_naming_it(hr, url, parameter):
    assert set(fields_of(hr.get(url))) == {parameter}


def test_known_formats_still_work(hr):
    assert hr.get("/api/v1/export/?format=json").status_code == 200
    assert hr.get("/api/v1/export/?format=yaml").status_code == 200
    assert hr.get("/api/v1/departments/?format=json").status_code == 200


@pytest.mark.parametrize("page", ["2", "99", "9" * 19, "9" * 40, "9" * 5000])
def test_a_page_past_the_end_is_a_404_however_large_the_number(hr, page):
    response = hr.get(f"/api/v1/roles/?page={page}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "0" * 30])
def test_a_page_that_is_not_a_whole_number_of_1_or_more_is_a_400(hr, page):
    assert set(fields_of(hr.get(f"/api/v1/roles/?page={page}"))) == {"page"}
