"""The detail API skips work a lookup does not need, without sharing state between requests."""

from django.utils import translation

from departments.api.serializers import DepartmentSerializer
from tests.conftest import token_client


def test_each_serializer_gets_fields_of_its_own(db):
    first, second = DepartmentSerializer(), DepartmentSerializer()
    assert first.fields["name_en"] is not second.fields["name_en"]
    assert first.fields["parent"].parent is first
    assert second.fields["parent"].parent is second


def test_field_labels_follow_the_language_after_caching(db):
    with translation.override("en"):
        english = DepartmentSerializer().fields["code"].label
    with translation.override("zh-hans"):
        chinese = DepartmentSerializer().fields["code"].label
    with translation.override("en"):
        assert DepartmentSerializer().fields["code"].label == english
    assert english != chinese


def test_a_lookup_by_code_ignores_the_lists_filters(seed_org, hr_editor):
    client = token_client(hr_editor)
    # The list's filters choose among departments; a lookup by code is not filtered.
    response = client.get("/api/v1/departments/finance/", {"active": "false"})
    assert response.status_code == 200
    assert response.json()["code"] == "finance"
    listed = client.get("/api/v1/departments/", {"active": "false"}).json()
    assert "finance" not in [department["code"] for department in listed["results"]]
