"""The changes page: sentences with old and new values, filters, the delta report, CSV."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department
from roles.models import Role
from tests.factories import UserFactory


@pytest.fixture
def hr_client(client, hr_editor):
    client.force_login(hr_editor)
    return client


def test_changes_read_as_sentences_with_old_and_new_values(hr_client, timeline):
    page = hr_client.get("/changes/").content.decode()
    assert "财务部 renamed to 财务中心" in page or "财务部 改名为 财务中心" in page
    assert "<del>财务部</del>" in page and "<ins>财务中心</ins>" in page
    assert "数据办公室" in page


def test_filters_narrow_the_list(hr_client, timeline):
    renamed = hr_client.get("/changes/", {"kind": "renamed"}).context["entries"]
    assert renamed and all("renamed" in entry.kinds for entry in renamed)
    duties = hr_client.get("/changes/", {"kind": "duties"}).context["entries"]
    assert duties and all(entry.model == "roles.duty" for entry in duties)
    day = hr_client.get("/changes/", {"from": "2026-05-02", "to": "2026-05-02"})
    assert {entry.at.day for entry in day.context["entries"]} == {2}
    finance = hr_client.get("/changes/", {"department": "finance"}).context["entries"]
    assert finance and all(
        entry.model != "departments.department" or "财务" in entry.sentence for entry in finance
    )


def test_bad_filters_are_explained_not_ignored(hr_client, timeline):
    response = hr_client.get("/changes/", {"from": "yesterday", "department": "nope"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert "nope" in page


def test_the_delta_report_counts_what_changed_between_two_dates(hr_client, timeline):
    response = hr_client.get("/changes/", {"from": "2026-05-02", "to": "2026-05-03"})
    sections = {section.key: section for section in response.context["delta"]}
    assert [line.code for line in sections["departments_added"].lines] == ["data-office"]
    assert [line.code for line in sections["departments_removed"].lines] == ["finance"]
    assert [line.code for line in sections["roles_added"].lines] == ["growth-analyst"]
    assert len(sections["roles_archived"].lines) == 1
    # Added within the range: added, not also moved.
    assert sections["roles_moved"].lines == []
    assert len(sections["duties_changed"].lines) == 1
    assert len(sections["duties_removed"].lines) == 1
    assert sections["departments_renamed"].lines == []
    page = response.content.decode()
    assert 'class="delta-count__number">1<' in page
    day = hr_client.get("/changes/", {"from": "2026-05-03", "to": "2026-05-03"}).context["delta"]
    moved = next(section for section in day if section.key == "roles_moved")
    assert [(line.code, line.before, line.after) for line in moved.lines] == [
        ("growth-analyst", "数据办公室", "互联网营销企业")
    ]


def test_the_delta_report_downloads_as_csv(hr_client, timeline):
    response = hr_client.get(
        "/changes/", {"from": "2026-05-01", "to": "2026-05-03", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    codes = {row[1] for row in rows[1:]}
    assert {"finance", "data-office", "growth-analyst"} <= codes


def test_the_list_downloads_as_csv(hr_client, timeline):
    response = hr_client.get("/changes/", {"kind": "renamed", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) >= 2 and all("renamed" in row[1] for row in rows[1:])


def test_staff_see_no_change_of_archived_items(client, timeline):
    staff = UserFactory(username="staff")
    client.force_login(staff)
    archived = set(Department.objects.hidden().values_list("code", flat=True))
    assert "finance" in archived
    page = client.get("/changes/").content.decode()
    assert "财务中心" not in page
    delta = client.get("/changes/", {"from": "2026-05-01", "to": "2026-05-03"}).context["delta"]
    codes = {line.code for section in delta for line in section.lines}
    assert not codes & archived


# A reader who may not see archived items: three queries more for what the delta report hides
# and up to two for the hidden departments and roles that changes name.
@pytest.mark.parametrize(("reader", "most"), [("hr_client", 40), ("viewer_client", 45)])
def test_the_changes_page_runs_a_fixed_number_of_queries(request, reader, most, timeline):
    reader = request.getfixturevalue(reader)
    query = {"from": "2026-05-01", "to": "2099-01-01"}

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert reader.get("/changes/", query).status_code == 200
        return len(queries)

    before = count()
    company = Department.objects.get(code="company")
    for number in range(30):
        Department(code=f"more-{number}", name_zh_hans=f"更多{number}", parent=company).save()
        Role(code=f"more-role-{number}", title_zh_hans="岗", department=company).save()
    # One query per kind of record on the page at most, and the delta report's fourteen
    # (seven per date: the departments' places and texts, roles, duties, teams, members,
    # profile): never more with more changes.
    assert before <= most
    assert count() <= before


@pytest.mark.parametrize(
    ("language", "label"), [("zh-hans", "矩阵型"), ("en", "Matrix"), ("zh-hant", "矩陣型")]
)
def test_the_profile_mode_shows_its_label_not_its_code(
    client, hr_editor, seed_org, language, label
):
    from orgportal.guide.models import OrganisationProfile

    profile = OrganisationProfile.load()
    profile.mode = "functional"
    profile.save()
    profile.mode = "matrix"
    profile.save()
    client.force_login(hr_editor)
    page = client.get("/changes/", HTTP_ACCEPT_LANGUAGE=language, data={"lang": language})
    text = page.content.decode()
    assert f"<ins>{label}</ins>" in text
    assert "<ins>matrix</ins>" not in text and "<del>functional</del>" not in text


def test_a_new_profile_lists_only_what_it_was_given(client, hr_editor, seed_org):
    from orgportal.guide.models import OrganisationProfile

    client.force_login(hr_editor)
    entries = client.get("/changes/").context["entries"]
    [created] = [entry for entry in entries if entry.model == "guide.organisationprofile"]
    # The seed's profile names a mode (矩阵型) and no stage: no "— → —" line for the stage.
    mode = str(OrganisationProfile._meta.get_field("mode").verbose_name)
    assert [(what, before) for what, before, _after in created.values] == [(mode, None)]


@pytest.mark.parametrize(
    ("language", "source", "label"),
    [
        ("zh-hans", "admin", "管理后台"),
        ("en", "admin", "the admin"),
        ("zh-hant", "admin", "管理後臺"),
        ("zh-hans", "command:import_org", "命令 import_org"),
        ("en", "command:import_org", "command import_org"),
        ("zh-hans", "unknown-source", "unknown-source"),
    ],
)
def test_where_a_change_was_made_reads_in_the_readers_language(language, source, label):
    from django.utils import translation

    from orgportal.changes.entries import Entry

    entry = Entry(
        seq=1, at=None, model="", kinds=[], user="", reason="", source=source, sentence=""
    )
    with translation.override(language):
        assert entry.source_label == label


def test_the_page_shows_sources_by_their_labels(client, hr_editor, seed_org):
    client.force_login(hr_editor)
    response = client.get("/changes/")
    page = response.content.decode()
    for entry in response.context["entries"]:
        assert f'<span class="change__source">{entry.source_label}</span>' in page
    assert "command:" not in page
