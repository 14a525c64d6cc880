"""The export endpoint: the organisation file as YAML or JSON, for users who may view everything."""

import json

import pytest
import yaml
from rest_framework.test import APIClient

from orgportal.orgfiles.export import organisation_data
from orgportal.orgfiles.orgfile import parse_org_file
from orgportal.orgfiles.services import organisation_export
from tests.conftest import token_client

EXPORT_URL = "/api/v1/export/"


def body(response):
    """Return the bytes of a response, streamed (the export) or not (its errors)."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_export_is_the_organisation_file_in_yaml(seed_org, hr_editor):
    response = token_client(hr_editor).get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    text = body(response).decode("utf-8")
    assert text == organisation_export()
    spec = parse_org_file(text)
    assert spec.root.code == "company"
    assert len(spec.departments) == 9


@pytest.mark.parametrize("how", [{"format": "json"}, {"HTTP_ACCEPT": "application/json"}])
def test_export_as_json(seed_org, hr_editor, how):
    query = {"format": how["format"]} if "format" in how else {}
    headers = {key: value for key, value in how.items() if key != "format"}
    response = token_client(hr_editor).get(EXPORT_URL, query, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(body(response))
    assert data == organisation_data()
    digital = next(d for d in data["departments"] if d["code"] == "digital-operations")
    assert [role["code"] for role in digital["roles"]][0] == "seo-sem-specialist"


def test_superusers_may_export(seed_org, superuser):
    assert token_client(superuser).get(EXPORT_URL).status_code == 200


@pytest.mark.parametrize("query", [{}, {"format": "yaml"}, {"format": "json"}])
def test_users_who_may_not_view_everything_get_a_403_in_json(seed_org, viewer, query):
    response = token_client(viewer).get(EXPORT_URL, query)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_export_is_a_401(seed_org):
    response = APIClient().get(EXPORT_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_format_is_a_400_naming_it(seed_org, hr_editor):
    response = token_client(hr_editor).get(EXPORT_URL, {"format": "xml"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["format"]


def test_exporting_an_empty_organisation_is_a_404(db, hr_editor):
    response = token_client(hr_editor).get(EXPORT_URL)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_export_answers_304_to_a_current_etag(seed_org, hr_editor):
    client = token_client(hr_editor)
    etag = client.get(EXPORT_URL)["ETag"]
    assert client.get(EXPORT_URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(EXPORT_URL, {"format": "json"}, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_yaml_and_json_exports_hold_the_same_organisation(seed_org, hr_editor):
    client = token_client(hr_editor)
    from_yaml = yaml.safe_load(body(client.get(EXPORT_URL)))
    assert from_yaml == json.loads(body(client.get(EXPORT_URL, {"format": "json"})))
