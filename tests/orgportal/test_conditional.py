"""Conditional requests answered from the organisation version: the tree API, the chart and
the department and role pages give an ETag and Last-Modified that every kind of write
changes, and answer a current one with a 304 in a fixed number of queries, before anything is
loaded or rendered."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils.http import parse_http_date
from rest_framework.test import APIClient

from departments.models import Department
from orgportal.guide.models import OrganisationProfile
from orgportal.models import OrganisationVersion
from roles.models import Duty, Role
from tests.conftest import token_client
from tests.orgportal.test_admin_spreadsheets import confirm, csv_file, preview
from tests.roles.test_admin import change_form_data

TREE_URL = "/api/v1/departments/tree/"


def page_urls():
    role = Role.objects.get(code="seo-sem-specialist")
    return [
        reverse("chart:home"),
        reverse("chart:home") + "?view=outline",
        reverse("departments:detail", kwargs={"code": "digital-operations"}),
        reverse("roles:detail", kwargs={"code": role.code}),
    ]


@pytest.fixture
def browser(client, seed_org, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def api(seed_org, superuser):
    return token_client(superuser)


def etags(browser, api):
    """Return the ETag of the tree API and of every page, keyed by URL."""
    found = {TREE_URL: api.get(TREE_URL)["ETag"]}
    browser.get(reverse("chart:home"))  # the CSRF cookie, part of a page's ETag
    for url in page_urls():
        response = browser.get(url)
        assert response.status_code == 200, url
        found[url] = response["ETag"]
    assert all(found.values())
    return found


# -- Every kind of write ------------------------------------------------------------------------


def admin_drag_move(browser, api, tmp_path):
    finance = Department.objects.get(code="finance")
    target = Department.objects.get(code="hr-administration")
    response = browser.post(
        reverse("admin:departments_department_changelist"),
        {"cmd": "move_node", "cut_item": finance.pk, "pasted_on": target.pk, "position": "left"},
    )
    assert response.content == b"OK, moved."


def admin_archive_action(browser, api, tmp_path):
    finance = Department.objects.get(code="finance")
    response = browser.post(
        reverse("admin:departments_department_changelist"),
        {"action": "archive_selected", "_selected_action": [finance.pk]},
    )
    assert response.status_code == 302
    assert not Department.objects.get(code="finance").is_active


def admin_role_form_reorders_duties(browser, api, tmp_path):
    role = Role.objects.get(code="data-analyst")
    url = reverse("admin:roles_role_change", args=[role.pk])
    data = change_form_data(browser.get(url))
    data["duties-0-sort_order"], data["duties-2-sort_order"] = "2", "0"
    assert browser.post(url, data).status_code == 302


def api_patch_department(browser, api, tmp_path):
    response = api.patch("/api/v1/departments/finance/", {"tagline": "精打细算"}, format="json")
    assert response.status_code == 200


def api_move_department(browser, api, tmp_path):
    response = api.post(
        "/api/v1/departments/finance/move/",
        {"target": "digital-operations", "position": "first-child"},
        format="json",
    )
    assert response.status_code == 200


def api_patch_role(browser, api, tmp_path):
    response = api.patch("/api/v1/roles/data-analyst/", {"headcount": 3}, format="json")
    assert response.status_code == 200


def api_patch_duty(browser, api, tmp_path):
    duty = Duty.objects.filter(role__code="data-analyst").first()
    response = api.patch(f"/api/v1/duties/{duty.pk}/", {"text": "新职责"}, format="json")
    assert response.status_code == 200


def api_delete_duty(browser, api, tmp_path):
    duty = Duty.objects.filter(role__code="data-analyst").first()
    assert api.delete(f"/api/v1/duties/{duty.pk}/").status_code == 204


def api_patch_team(browser, api, tmp_path):
    response = api.patch(
        "/api/v1/teams/team-618/", {"name_zh_hans": "618大促作战组"}, format="json"
    )
    assert response.status_code == 200


def admin_spreadsheet_import(browser, api, tmp_path):
    content = csv_file(["code", "title", "headcount"], ["data-analyst", "数据分析师", "7"])
    confirm(browser, Role, preview(browser, Role, content, "csv"))
    assert Role.objects.get(code="data-analyst").headcount == 7


def import_file(tmp_path, change, *args):
    data = yaml.safe_load(Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    call_command("import_org", str(path), *args, stdout=StringIO(), stderr=StringIO())


def import_a_changed_text(browser, api, tmp_path):
    def change(data):
        data["departments"][0]["tagline"] = "导入后的口号"

    import_file(tmp_path, change)


def import_a_new_subtree(browser, api, tmp_path):
    def change(data):
        data["departments"][0].setdefault("departments", []).append(
            {
                "code": "imported-branch",
                "name": "导入的部门",
                "departments": [{"code": "imported-leaf", "name": "导入的小组"}],
            }
        )

    import_file(tmp_path, change)
    assert Department.objects.filter(code="imported-leaf").exists()


def import_a_profile_stage(browser, api, tmp_path):
    def change(data):
        data["stage"] = "growth"

    import_file(tmp_path, change)
    assert OrganisationProfile.objects.get().stage == "growth"


def import_with_prune(browser, api, tmp_path):
    def change(data):
        data["departments"].pop()

    import_file(tmp_path, change, "--prune")


def check_tree_fix(browser, api, tmp_path):
    table = connection.ops.quote_name(Department._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET level = 9 WHERE code = %s", ["finance"])
    call_command("check_tree", "--fix", stdout=StringIO(), stderr=StringIO())


WRITES = [
    admin_drag_move,
    admin_archive_action,
    admin_role_form_reorders_duties,
    api_patch_department,
    api_move_department,
    api_patch_role,
    api_patch_duty,
    api_delete_duty,
    api_patch_team,
    admin_spreadsheet_import,
    import_a_changed_text,
    import_a_new_subtree,
    import_a_profile_stage,
    import_with_prune,
    check_tree_fix,
]


@pytest.mark.parametrize("write", WRITES)
def test_every_kind_of_write_changes_every_etag(browser, api, tmp_path, write):
    before = etags(browser, api)
    for url, etag in before.items():
        client = api if url == TREE_URL else browser
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304, url

    write(browser, api, tmp_path)

    after = etags(browser, api)
    for url, etag in before.items():
        assert after[url] != etag, url
        client = api if url == TREE_URL else browser
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200, url


# -- 304s -----------------------------------------------------------------------------------


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_the_tree_answers_304_in_a_fixed_number_of_queries(
    org, request, hr_editor, django_assert_num_queries
):
    request.getfixturevalue(org)
    client = token_client(hr_editor)
    etag = client.get(TREE_URL)["ETag"]

    # The token with the organisation version and the reader's permissions (one query):
    # nothing of the tree, and no transaction for a read.
    with django_assert_num_queries(1):
        response = client.get(TREE_URL, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_pages_answer_304_in_a_fixed_number_of_queries(
    org, request, viewer_client, django_assert_num_queries
):
    request.getfixturevalue(org)
    department = Department.objects.filter(level=1).first()
    role = Role.objects.filter(department=department).first()
    viewer_client.get(reverse("chart:home"))  # the CSRF cookie
    for url in (
        reverse("chart:home"),
        department.get_absolute_url(),
        reverse("roles:detail", kwargs={"code": role.code}),
    ):
        etag = viewer_client.get(url)["ETag"]
        # Session, user, the viewer's two permission lookups and the organisation version (no
        # transaction: the pages read outside one).
        with django_assert_num_queries(5):
            response = viewer_client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304, url


def test_etags_differ_by_language_query_and_reader(seed_org, viewer_client, hr_editor, client):
    chart = reverse("chart:home")
    assert not viewer_client.get(chart).has_header("ETag")  # it sets the first CSRF cookie
    chinese = viewer_client.get(chart)["ETag"]
    english = viewer_client.get(chart, HTTP_ACCEPT_LANGUAGE="en")["ETag"]
    assert english != chinese
    assert viewer_client.get(chart + "?view=outline")["ETag"] not in (english, chinese)

    hr = token_client(hr_editor)
    tree_chinese = hr.get(TREE_URL)["ETag"]
    tree_english = hr.get(TREE_URL, {"lang": "en"})["ETag"]
    assert tree_english != tree_chinese
    assert hr.get(TREE_URL, {"lang": "en"}, HTTP_IF_NONE_MATCH=tree_chinese).status_code == 200

    client.force_login(hr_editor)
    client.get(chart)
    assert client.get(chart)["ETag"] != chinese


def test_answers_carry_last_modified_and_ask_browsers_to_revalidate(
    transactional_db, seed_org, viewer_client
):
    """Committed for real: on PostgreSQL the time of a change is written after its commit."""
    viewer_client.get(reverse("chart:home"))
    response = viewer_client.get(reverse("chart:home"))
    assert response["Last-Modified"]
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    since = response["Last-Modified"]
    assert viewer_client.get(reverse("chart:home"), HTTP_IF_MODIFIED_SINCE=since).status_code == 304

    before = OrganisationVersion.objects.get().changed_at
    Department.objects.get(code="finance").save()

    assert OrganisationVersion.objects.get().changed_at > before
    changed = viewer_client.get(reverse("chart:home"))
    assert parse_http_date(changed["Last-Modified"]) >= parse_http_date(since)


def test_a_304_needs_the_reader_to_be_allowed(seed_org, viewer_client, client):
    viewer_client.get(reverse("chart:home"))
    etag = viewer_client.get(reverse("chart:home"))["ETag"]
    client.logout()

    response = client.get(reverse("chart:home"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 302  # to the login page, not a 304


def test_a_304_to_the_tree_needs_a_token(seed_org, hr_editor):
    etag = token_client(hr_editor).get(TREE_URL)["ETag"]

    assert APIClient().get(TREE_URL, HTTP_IF_NONE_MATCH=etag).status_code in (401, 403)
