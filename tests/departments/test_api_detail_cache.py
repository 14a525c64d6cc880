"""The department detail is answered from rendered bytes kept per organisation version.

A hit reads no department and runs no serializer; every change, the reader's visibility of
archived departments, the language, the format and the host give another key. Tokens are
checked on every request (one query with the organisation version), and reads run outside a
transaction while writes keep theirs.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from departments.models import Department
from orgportal.postgresql.base import PREPARED
from tests.conftest import token_client
from tests.factories import UserFactory

URL = "/api/v1/departments/finance/"


def queries_of(client, url, **extra):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    return response, [query["sql"] for query in captured.captured_queries]


def test_a_second_read_is_answered_from_the_cache(hr):
    first, first_queries = queries_of(hr, URL)
    second, second_queries = queries_of(hr, URL)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == "application/json"
    assert any("departments_department" in sql for sql in first_queries)
    # The token, with the version and the reader's permissions; no department.
    assert len(second_queries) == 1
    assert not any("departments_department" in sql for sql in second_queries)
    assert not any("SAVEPOINT" in sql or "BEGIN" in sql for sql in second_queries)


def test_a_cached_answer_still_answers_304(hr):
    etag = hr.get(URL)["ETag"]
    response = hr.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda hr: hr.patch(URL, {"tagline": "新口号"}, format="json"), id="api patch"
        ),
        pytest.param(
            lambda hr: Department.objects.get(code="finance").save(), id="model save elsewhere"
        ),
        pytest.param(
            lambda hr: hr.post(
                "/api/v1/departments/finance/move/",
                {"target": "company", "position": "first-child"},
                format="json",
            ),
            id="move",
        ),
    ],
)
def test_every_change_gives_a_fresh_answer(hr, change):
    before = hr.get(URL)
    response = change(hr)
    assert getattr(response, "status_code", 200) == 200
    after = hr.get(URL)
    assert after.status_code == 200
    fresh = token_client(UserFactory(username="fresh", groups=["HR editors"]))
    caches["responses"].clear()
    assert after.json() == fresh.get(URL).json()
    assert after["ETag"] != before["ETag"] or after.content == before.content


def test_the_patch_is_seen_by_the_next_read(hr):
    hr.get(URL)
    hr.patch(URL, {"tagline": "新口号"}, format="json")
    assert hr.get(URL).json()["tagline"] == "新口号"


def test_archived_departments_stay_hidden_from_readers_after_an_editor_read(hr, viewer):
    digital = Department.objects.get(code="digital-operations")
    digital.is_active = False
    digital.save()
    reader = token_client(viewer)
    url = "/api/v1/departments/digital-operations/"
    assert hr.get(url).status_code == 200
    assert reader.get(url).status_code == 404
    # Counts below the company: the editor counts the archived department, the reader does not.
    company = "/api/v1/departments/company/"
    editor_count = hr.get(company).json()["descendant_count"]
    reader_count = reader.get(company).json()["descendant_count"]
    assert reader_count < editor_count
    assert hr.get(company).json()["descendant_count"] == editor_count


def test_each_language_has_its_own_answer(hr):
    chinese = hr.get(URL).json()
    english = hr.get(URL, HTTP_ACCEPT_LANGUAGE="en").json()
    by_parameter = hr.get(URL + "?lang=en").json()
    assert english["name"] == english["name_en"] != chinese["name"]
    assert by_parameter == english
    assert hr.get(URL).json() == chinese


def test_urls_follow_the_host_asked(hr, settings):
    settings.ALLOWED_HOSTS = ["testserver", "portal.example.com"]
    local = hr.get(URL).json()["url"]
    other = hr.get(URL, HTTP_HOST="portal.example.com").json()["url"]
    assert local == "http://testserver" + URL
    assert other == "http://portal.example.com" + URL


def test_a_deleted_token_is_refused_at_once_after_cached_answers(hr, hr_editor):
    assert hr.get(URL).status_code == 200
    Token.objects.filter(user=hr_editor).delete()
    response = hr.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token."


def test_a_deactivated_user_is_refused_at_once(hr, hr_editor):
    assert hr.get(URL).status_code == 200
    hr_editor.is_active = False
    hr_editor.save()
    assert hr.get(URL).status_code == 401


def test_an_unknown_department_is_a_404_and_nothing_is_cached(hr):
    assert hr.get("/api/v1/departments/no-such-department/").status_code == 404
    assert hr.get("/api/v1/departments/no-such-department/").status_code == 404


def statement_run(sql):
    """Return the SQL behind ``sql``: on PostgreSQL the token query runs as ``EXECUTE`` of a
    statement prepared once per connection (orgportal.postgresql)."""
    for original, (_prepare, execute) in PREPARED.items():
        if sql.startswith(execute.split("(")[0] + "("):
            return original
    return sql


def test_the_token_query_reads_the_organisation_version_once(hr):
    # The tree's conditional answer uses the version read with the token: no query of its own.
    _response, captured = queries_of(hr, "/api/v1/departments/tree/")
    version_reads = [
        sql for sql in map(statement_run, captured) if "organisationversion" in sql.lower()
    ]
    assert len(version_reads) == 1
    assert "authtoken_token" in version_reads[0]


def test_a_failed_write_still_rolls_back_everything(hr):
    # A move below itself fails after the request's transaction began: nothing changes.
    before = hr.get(URL).json()
    response = hr.patch(URL, {"tagline": "不应保存", "parent": "finance"}, format="json")
    assert response.status_code == 400
    assert Department.objects.get(code="finance").tagline == before["tagline"]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/*"])
def test_clients_that_take_json_get_json(hr, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = hr.get(URL, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_client_that_takes_no_json_is_refused(hr):
    response = hr.get(URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 406


def test_an_unknown_format_parameter_is_still_a_400(hr):
    response = hr.get(URL + "?format=xml")
    assert response.status_code == 400
    assert "format" in response.json()["error"]["fields"]
