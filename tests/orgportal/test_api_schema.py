"""The OpenAPI contract: valid, served to anyone, and describing every error, header and token."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def schema():
    """Return the schema exactly as /api/schema/ serves it."""
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_spectacular_validates_the_schema_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO()
    )
    generated = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert generated["openapi"].startswith("3.")
    assert "/api/v1/departments/{code}/move/" in generated["paths"]


def test_the_schema_is_served_to_anonymous_clients():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "orgportal API"


def test_every_endpoint_is_in_the_schema(schema):
    assert set(schema["paths"]) == {
        "/api/v1/changes/",
        "/api/v1/departments/",
        "/api/v1/departments/{code}/",
        "/api/v1/departments/{code}/ancestors/",
        "/api/v1/departments/{code}/children/",
        "/api/v1/departments/{code}/descendants/",
        "/api/v1/departments/{code}/move/",
        "/api/v1/departments/tree/",
        "/api/v1/roles/",
        "/api/v1/roles/{code}/",
        "/api/v1/duties/",
        "/api/v1/duties/{id}/",
        "/api/v1/teams/",
        "/api/v1/teams/{code}/",
        "/api/v1/export/",
        "/api/v1/organisation/",
        "/api/v1/insights/",
    }


def test_the_team_endpoints_document_members_filters_and_the_roles_teams(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/teams/"]["get"]["parameters"]}
    assert {"status", "active", "role", "department", "search", "page"} <= parameters
    team = schema["components"]["schemas"]["ProjectTeam"]["properties"]
    assert team["members"]["items"]["$ref"].endswith("/TeamMember")
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/teams/"])
    assert {"get", "put", "patch", "delete"} <= set(schema["paths"]["/api/v1/teams/{code}/"])
    role = schema["components"]["schemas"]["RoleDetail"]["properties"]
    assert role["teams"]["items"]["$ref"].endswith("/RoleTeam")


def test_the_token_scheme_is_described_and_required(schema):
    token = schema["components"]["securitySchemes"]["tokenAuth"]
    assert token == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    for _path, _method, operation in operations(schema):
        assert {"tokenAuth": []} in operation["security"]


def test_every_operation_documents_its_errors_in_the_one_error_format(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert {"401", "403"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation or any(p["in"] == "query" for p in operation["parameters"]):
            assert "400" in responses, (method, path)
        for status, response in responses.items():
            if status.startswith("4"):
                assert response["content"]["application/json"]["schema"] == ERROR_REF
                assert response["description"], (method, path, status)
    delete = schema["paths"]["/api/v1/departments/{code}/"]["delete"]
    assert "409" in delete["responses"]


def test_reads_document_etags_and_304_and_creates_document_location(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if method == "get":
            assert "ETag" in responses["200"]["headers"], path
            assert "304" in responses, path
            assert any(p["name"] == "If-None-Match" for p in operation["parameters"]), path
        if "201" in responses:
            assert "Location" in responses["201"]["headers"], path


def test_the_schema_has_examples_from_the_seed_organisation(schema):
    text = str(schema)
    for example in ("digital-operations", "seo-sem-specialist", "数字运营部", "SEO方向"):
        assert example in text
    under = next(
        p for p in schema["paths"]["/api/v1/roles/"]["get"]["parameters"] if p["name"] == "under"
    )
    assert under["examples"]["数字运营部"]["value"] == "digital-operations"


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_pages_use_only_local_assets(url):
    response = APIClient().get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page or "/api/redoc/bundle.js" in page
    assert "https://" not in page and 'src="//' not in page and 'href="//' not in page
    if url == "/api/docs/":
        # Swagger UI's settings come from a script of their own (no inline script, see CSP).
        page = APIClient().get(url, {"script": ""}).content.decode()
    assert "/api/schema/" in page


def test_redoc_loads_a_bundle_that_asks_no_cdn_for_its_logo():
    page = APIClient().get("/api/redoc/").content.decode()
    assert '<script src="/api/redoc/bundle.js">' in page

    response = APIClient().get("/api/redoc/bundle.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["ETag"] and "max-age=86400" in response["Cache-Control"]
    bundle = response.content
    assert b"Redoc" in bundle and len(bundle) > 500_000
    assert b"cdn.redoc.ly" not in bundle
    again = APIClient().get("/api/redoc/bundle.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
