"""The API in three languages: texts follow Accept-Language or ?lang=, with fallback; every
language's own field is there and writable; the schema says so."""

import pytest

from departments.models import Department
from roles.models import Duty, Role

FINANCE = "/api/v1/departments/finance/"


def test_texts_follow_accept_language(hr):
    answers = {
        language: hr.get(FINANCE, HTTP_ACCEPT_LANGUAGE=language)
        for language in ("zh-hans", "en", "zh-hant")
    }

    assert answers["zh-hans"].json()["name"] == "财务部"
    assert answers["en"].json()["name"] == "Finance"
    assert answers["en"].json()["tagline"] == "Budget control, compliance assurance"
    assert answers["zh-hant"].json()["name"] == "財務部"
    assert answers["zh-hant"].json()["tagline"] == "預算管控,合規保障"
    assert {language: answer["Content-Language"] for language, answer in answers.items()} == {
        "zh-hans": "zh-hans",
        "en": "en",
        "zh-hant": "zh-hant",
    }


def test_lang_parameter_wins_over_accept_language(hr):
    answer = hr.get(FINANCE, {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert answer.json()["name"] == "Finance"
    assert answer["Content-Language"] == "en"


def test_every_language_is_in_the_answer(hr):
    data = hr.get(FINANCE, {"lang": "en"}).json()

    assert (data["name_zh_hans"], data["name_en"], data["name_zh_hant"]) == (
        "财务部",
        "Finance",
        "財務部",
    )
    assert data["description_en"] == ""  # empty, not null
    assert sorted(data["zh_hant_auto"]) == ["description", "name", "positioning", "tagline"]


def test_a_missing_english_text_falls_back_to_simplified_chinese(hr):
    Department.objects.filter(code="finance").update(tagline_en="")

    data = hr.get(FINANCE, {"lang": "en"}).json()

    assert data["tagline"] == "预算管控,合规保障"
    assert data["tagline_en"] == ""


def test_an_unknown_language_is_a_400_naming_lang(hr):
    answer = hr.get(FINANCE, {"lang": "fr"})

    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == ["lang"]


def test_the_tree_and_roles_speak_the_requested_language(hr):
    tree = hr.get("/api/v1/departments/tree/", {"lang": "en", "include_roles": "1"}).json()
    finance = next(child for child in tree["children"] if child["code"] == "finance")
    assert tree["name"] == "Internet Marketing Company"
    assert finance["roles"][0]["title"] == "Financial Accountant"
    assert "name_en" not in tree

    role = hr.get("/api/v1/roles/budget-management-specialist/", {"lang": "zh-hant"}).json()
    assert role["title"] == "預算管理專員"
    assert all(duty["text"] == duty["text_zh_hant"] for duty in role["duties"])


def test_a_language_field_is_writable(hr):
    answer = hr.patch(FINANCE, {"tagline_en": "Budgets and compliance"}, format="json")

    assert answer.status_code == 200
    finance = Department.objects.get(code="finance")
    assert finance.tagline_en == "Budgets and compliance"
    assert finance.tagline_zh_hans == "预算管控,合规保障"


def test_writing_a_text_writes_the_requests_language(hr):
    answer = hr.patch(FINANCE, {"name": "Finance Office"}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 200
    assert answer.json()["name"] == "Finance Office"
    finance = Department.objects.get(code="finance")
    assert (finance.name_zh_hans, finance.name_en) == ("财务部", "Finance Office")


def test_a_named_language_wins_over_the_plain_field(hr):
    hr.patch(FINANCE, {"name": "X", "name_en": "Finance"}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert Department.objects.get(code="finance").name_en == "Finance"


def test_a_hand_written_traditional_text_is_kept_and_empty_gives_it_back(hr):
    hr.patch(FINANCE, {"tagline_zh_hant": "預算管控與合規"}, format="json")
    data = hr.get(FINANCE).json()
    assert data["tagline_zh_hant"] == "預算管控與合規"
    assert "tagline" not in data["zh_hant_auto"]

    hr.patch(FINANCE, {"tagline_zh_hant": ""}, format="json")
    data = hr.get(FINANCE).json()
    assert data["tagline_zh_hant"] == "預算管控,合規保障"
    assert "tagline" in data["zh_hant_auto"]


def test_sending_back_what_was_read_changes_nothing(hr):
    data = hr.get(FINANCE, {"lang": "en"}).json()
    writable = {
        key: value
        for key, value in data.items()
        if key.split("_")[0] in ("name", "tagline", "positioning", "description")
    }

    answer = hr.patch(FINANCE, writable, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 200
    assert answer.json() | {"updated_at": None} == data | {"updated_at": None}


def test_a_new_department_needs_its_simplified_chinese_name(hr):
    answer = hr.post(
        "/api/v1/departments/",
        {"code": "live", "name": "Live Commerce", "parent": "digital-operations"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert "name" in answer.json()["error"]["fields"]

    answer = hr.post(
        "/api/v1/departments/",
        {
            "code": "live",
            "name": "Live Commerce",
            "name_zh_hans": "直播电商组",
            "parent": "digital-operations",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 201
    live = Department.objects.get(code="live")
    assert (live.name_zh_hans, live.name_en, live.name_zh_hant) == (
        "直播电商组",
        "Live Commerce",
        "直播電商組",
    )


@pytest.mark.parametrize("field", ["tagline_en", "name_zh_hant", "name"])
def test_a_text_of_another_type_is_a_400_naming_the_field(hr, field):
    answer = hr.patch(FINANCE, {field: 12345}, format="json")

    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == [field]


def test_roles_and_duties_are_writable_per_language(hr):
    role = hr.patch(
        "/api/v1/roles/financial-accountant/", {"summary_en": "Keeps the books."}, format="json"
    )
    duty = Duty.objects.filter(role__code="financial-accountant").first()
    answer = hr.patch(
        f"/api/v1/duties/{duty.pk}/",
        {"area_en": "Bookkeeping", "area_zh_hans": "记账"},
        format="json",
    )

    assert role.status_code == 200 and answer.status_code == 200
    assert Role.objects.get(code="financial-accountant").summary_en == "Keeps the books."
    duty.refresh_from_db()
    assert (duty.area_zh_hans, duty.area_en, duty.area_zh_hant) == ("记账", "Bookkeeping", "記賬")


def test_role_search_finds_english_and_traditional_texts(hr):
    for query in ("budget", "預算"):
        codes = {
            role["code"] for role in hr.get("/api/v1/roles/", {"search": query}).json()["results"]
        }
        assert "budget-management-specialist" in codes, query


def test_schema_documents_the_languages(hr):
    schema = hr.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en").json()

    department = schema["components"]["schemas"]["Department"]["properties"]
    assert {"name", "name_zh_hans", "name_en", "name_zh_hant", "zh_hant_auto"} <= set(department)
    assert "simplified Chinese" in department["name"]["description"]
    tree = schema["paths"]["/api/v1/departments/tree/"]["get"]
    lang = next(parameter for parameter in tree["parameters"] if parameter["name"] == "lang")
    assert sorted(lang["schema"]["enum"]) == ["en", "zh-hans", "zh-hant"]
    assert "Accept-Language" in schema["info"]["description"]
