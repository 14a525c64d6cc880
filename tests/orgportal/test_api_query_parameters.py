"""A list's query parameters are applied or refused, never ignored: an unknown parameter, or a
filter given without a value, is a 400 naming it (orgportal/api/filtering.py)."""

import pytest

from departments.models import Department
from tests.orgportal.test_api_strict_input import fields_of


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/departments/?parent=", "parent"),
        ("/api/v1/departments/?under=%20", "under"),
        ("/api/v1/departments/?active=", "active"),
        ("/api/v1/roles/?department=", "department"),
        ("/api/v1/roles/?active=", "active"),
        ("/api/v1/roles/?ordering=", "ordering"),
        ("/api/v1/duties/?role=", "role"),
        ("/api/v1/duties/?area=", "area"),
        ("/api/v1/teams/?status=", "status"),
    ],
)
def test_a_filter_without_a_value_is_a_400_naming_it(hr, url, parameter):
    fields = fields_of(hr.get(url))

    assert set(fields) == {parameter}
    assert fields[parameter] == ["请给出一个值,或省略该参数。"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/departments/?parnet=finance", "parnet"),
        ("/api/v1/departments/?ordering=-name", "ordering"),
        ("/api/v1/roles/?departmnet=finance", "departmnet"),
        ("/api/v1/duties/?search=x&_=1700000000", "_"),
        ("/api/v1/teams/?owner=x", "owner"),
        ("/api/v1/changes/?until=2020-01-01", "until"),
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it_and_what_is_known(hr, url, parameter):
    fields = fields_of(hr.get(url))

    assert set(fields) == {parameter}
    assert fields[parameter][0].startswith("未知的查询参数。此处可用:")
    assert "lang" in fields[parameter][0]


@pytest.mark.parametrize(
    ("language", "empty", "unknown"),
    [
        (
            "en",
            "Give a value, or leave the parameter out.",
            "Unknown query parameter. Known here: ",
        ),
        ("zh-hant", "請給出一個值,或省略該參數。", "未知的查詢參數。此處可用:"),
    ],
)
def test_the_messages_follow_the_requests_language(hr, language, empty, unknown):
    fields = fields_of(hr.get(f"/api/v1/departments/?parent=&sort=name&lang={language}"))

    assert fields["parent"] == [empty]
    assert fields["sort"] == [
        unknown
        + "active, format, lang, page, page_size, parent, search, under"
        + ("." if language == "en" else "。")
    ]


def test_every_problem_of_a_list_query_is_named_at_once(hr):
    fields = fields_of(hr.get("/api/v1/roles/?department=&active=maybe&sort=title"))

    assert set(fields) == {"department", "active", "sort"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/departments/?search=",
        "/api/v1/departments/?parent=company&page=1&page_size=5&lang=en&format=json",
        "/api/v1/roles/?department=finance&ordering=-title&active=true",
        "/api/v1/duties/?role=budget-management-specialist&page_size=10",
        "/api/v1/teams/?status=active&search=618",
        "/api/v1/changes/?since=0&limit=5&lang=en",
    ],
)
def test_known_parameters_and_an_empty_search_are_answered(hr, url):
    assert hr.get(url).status_code == 200


def test_an_empty_search_lists_everything_the_reader_sees(hr):
    response = hr.get("/api/v1/departments/?search=&page_size=500")

    assert response.json()["count"] == Department.objects.count()
