"""The streaming export writes the bytes of the whole-organisation exporter, in chunks."""

import json

import pytest
from django.core.management import call_command
from rest_framework.renderers import JSONRenderer

from departments.models import Department
from orgportal.orgfiles import export
from orgportal.orgfiles.export import organisation_data, organisation_json, organisation_yaml
from roles.models import Duty, Role
from tests.conftest import token_client
from tests.orgportal.reference_export import reference_data, reference_export
from tests.orgportal.test_import_org import empty_organisation

AWKWARD_TEXTS = [
    "true",
    "123",
    "null",
    "- a list?",
    "key: value",
    " leading space",
    "two\nlines\n\nand a blank one",
    "a line separator\u2028and a paragraph separator\u2029here",
    "# not a comment",
    "引号'和\"双引号",
    " ".join(["a long English description that the emitter must fold"] * 40),
]


def make_awkward(root):
    """Give the organisation texts that YAML must quote, fold or escape, and archived parts."""
    departments = list(Department.objects.exclude(pk=root.pk).order_by("lft")[:12])
    for department, text in zip(departments, AWKWARD_TEXTS, strict=False):
        department.description_zh_hans = text
        department.tagline_en = text[:200]
        department.save()
    roles = list(Role.objects.order_by("pk")[:12])
    for role, text in zip(roles, AWKWARD_TEXTS, strict=False):
        role.summary_zh_hans = text
        role.headcount = len(text)
        role.save()
    roles[0].reports_to = roles[1]
    roles[0].save()
    roles[1].is_active = False
    roles[1].save()
    duty = Duty.objects.order_by("pk").first()
    duty.text_zh_hant = "手寫的繁體文字"
    duty.area_zh_hans = "true"
    duty.save()
    archived = departments[-1]
    archived.is_active = False
    archived.save()


def old_json(include_archived=True):
    return JSONRenderer().render(reference_data(include_archived=include_archived)).decode()


@pytest.fixture(params=["seed", "generated"])
def organisation(request, db):
    root = request.getfixturevalue("seed_org" if request.param == "seed" else "large_org")
    make_awkward(root)
    return root


def test_yaml_export_is_byte_identical_to_the_whole_organisation_exporter(organisation):
    assert "".join(organisation_yaml()) == reference_export()


@pytest.mark.parametrize("include_archived", [True, False])
def test_json_export_is_byte_identical_to_drfs_rendering(organisation, include_archived):
    text = "".join(organisation_json(include_archived=include_archived))
    assert text == old_json(include_archived)
    assert json.loads(text) == organisation_data(include_archived=include_archived)


def test_visible_data_leaves_out_archived_parts_as_before(organisation):
    assert organisation_data(include_archived=False) == reference_data(include_archived=False)
    assert organisation_data(include_archived=False) != organisation_data()


def test_the_export_comes_in_chunks_of_bounded_size(large_org, monkeypatch):
    monkeypatch.setattr(export, "FLUSH_CHARACTERS", 4096)
    chunks = list(organisation_yaml())
    assert len(chunks) > 20
    # A chunk is handed on at the first department after the limit; none holds much more.
    assert max(len(chunk) for chunk in chunks) < 4096 + 20_000
    assert "".join(chunks) == reference_export()


def test_the_export_reads_three_queries_whatever_the_size(large_org, django_assert_num_queries):
    # SQLite reads each query in one go; PostgreSQL adds its cursor's fetches and snapshot.
    # Then the organisation profile's mode and stage, one small query each, and two more read
    # the project teams and their members.
    with django_assert_num_queries(3 + 2 + 2):
        text = "".join(organisation_yaml())
    assert text.count("departments:") == 500


def test_an_empty_organisation_exports_an_empty_mapping(db, tmp_path):
    assert "".join(organisation_yaml()) == reference_export()
    assert list(organisation_json()) == []
    assert organisation_data() == {}


def test_export_org_writes_the_streamed_file(organisation, tmp_path):
    path = tmp_path / "org.yaml"
    call_command("export_org", str(path), stdout=None)
    assert path.read_text(encoding="utf-8") == reference_export()


@pytest.mark.parametrize("query", [{}, {"format": "json"}])
def test_the_export_endpoint_streams_the_same_bytes(organisation, superuser, query):
    response = token_client(superuser).get("/api/v1/export/", query)
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    assert body == (old_json() if query else reference_export())


def test_export_import_into_an_empty_database_export_is_identical(organisation, tmp_path):
    first = tmp_path / "first.yaml"
    call_command("export_org", str(first))
    empty_organisation()
    call_command("import_org", str(first))
    assert "".join(organisation_yaml()) == first.read_text(encoding="utf-8")
