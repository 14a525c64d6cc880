"""The organisation as of a past moment: pages and API equal the exports taken then."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import token_client


def codes(node):
    """Return the department codes of an export (or tree) mapping, in tree order."""
    children = node.get("departments", node.get("children", []))
    return [node["code"], *[code for child in children for code in codes(child)]]


def streamed_json(response):
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def hr_api(hr_editor):
    return token_client(hr_editor)


@pytest.mark.parametrize("step", [0, 1, 2])
def test_the_export_as_of_a_past_moment_is_the_export_taken_then(hr_api, timeline, step):
    response = hr_api.get("/api/v1/export/", {"as_of": timeline.moments[step], "format": "json"})
    assert response.status_code == 200
    assert streamed_json(response) == timeline.exports[step]


def test_the_export_as_of_three_moments_differs_and_runs_the_same_queries(hr_api, timeline):
    counts, exports = [], []
    for moment in timeline.moments:
        with CaptureQueriesContext(connection) as queries:
            response = hr_api.get("/api/v1/export/", {"as_of": moment, "format": "json"})
            exports.append(streamed_json(response))
        counts.append(len(queries))
    assert len(set(counts)) == 1
    assert exports[0] != exports[1] != exports[2]


@pytest.mark.parametrize("step", [0, 1, 2])
def test_the_tree_api_as_of_a_past_moment_matches_the_export_then(hr_api, timeline, step):
    response = hr_api.get("/api/v1/departments/tree/", {"as_of": timeline.moments[step]})
    assert response.status_code == 200, response.content
    tree = response.json()
    assert codes(tree) == codes(timeline.exports[step])
    assert tree["descendant_count"] == len(codes(timeline.exports[step])) - 1


def test_the_tree_api_as_of_takes_root_depth_and_roles(hr_api, timeline):
    response = hr_api.get(
        "/api/v1/departments/tree/",
        {"as_of": timeline.moments[1], "root": "data-office", "include_roles": "1"},
    )
    assert response.status_code == 200, response.content
    assert [role["code"] for role in response.json()["roles"]] == ["growth-analyst"]
    gone = hr_api.get("/api/v1/departments/tree/", {"as_of": timeline.moments[0], "root": "x"})
    assert gone.status_code == 400 and "root" in gone.json()["error"]["fields"]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-06-01T25:00"])
def test_a_bad_as_of_is_a_clear_error(hr_api, timeline, value):
    for url in ("/api/v1/export/", "/api/v1/departments/tree/"):
        response = hr_api.get(url, {"as_of": value})
        assert response.status_code == 400
        assert "as_of" in response.json()["error"]["fields"]


def test_as_of_takes_a_date_time_with_an_offset(hr_api, timeline):
    # 11:00 in the portal's time zone on day 1, written in UTC with Z and with +00:00.
    moment = timeline.moments[1]
    from django.utils.dateparse import parse_datetime

    utc = parse_datetime(moment).astimezone(__import__("datetime").UTC)
    for value in (utc.strftime("%Y-%m-%dT%H:%M:%SZ"), utc.isoformat()):
        response = hr_api.get("/api/v1/export/", {"as_of": value, "format": "json"})
        assert streamed_json(response) == timeline.exports[1]


@pytest.mark.parametrize("step", [0, 1, 2])
def test_the_chart_as_of_a_past_moment_shows_the_organisation_then(client, viewer, timeline, step):
    client.force_login(viewer)
    response = client.get("/", {"as_of": timeline.moments[step]})
    assert response.status_code == 200
    root = response.context["root"]
    visible = timeline.visible_exports[step]
    assert root["descendant_count"] == len(codes(visible)) - 1
    page = response.content.decode()
    assert "asof-banner" in page
    for code in codes(visible):
        assert f"/departments/{code}/" in page


def test_the_chart_as_of_a_date_names_the_day_and_runs_fixed_queries(client, viewer, timeline):
    client.force_login(viewer)
    # The first answer sets the CSRF cookie; later ones read the organisation version too.
    client.get("/")
    counts = []
    for day in ("2026-05-01", "2026-05-03", "2026-05-02"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/", {"as_of": day}).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1
    page = client.get("/", {"as_of": "2026-05-01"}).content.decode()
    assert "2026年5月1日的组织" in page
    bad = client.get("/", {"as_of": "nonsense"}).content.decode()
    assert 'id="as-of-error"' in bad


@pytest.mark.parametrize("editor", [True, False])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"include_roles": "1"},
        {"root": "digital-operations", "depth": "1", "include_roles": "1"},
    ],
)
def test_the_tree_api_as_of_now_is_todays_tree(seed_org, hr_editor, viewer, editor, query):
    """The as-of tree is built from rows, not by the serializer: the same answer, field for
    field, as today's tree (an archived department and role included)."""
    from django.utils import timezone

    from departments.models import Department
    from departments.services import department_archive
    from roles.models import Role

    department_archive(department=Department.objects.get(code="finance"))
    role = Role.objects.filter(department__code="digital-operations").order_by("pk").first()
    role.is_active = False
    role.save()
    client = token_client(hr_editor if editor else viewer)
    today = client.get("/api/v1/departments/tree/", query)
    as_of = client.get(
        "/api/v1/departments/tree/", {**query, "as_of": timezone.localtime().isoformat()}
    )
    assert today.status_code == as_of.status_code == 200
    assert as_of.json() == today.json()
