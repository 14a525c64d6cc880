"""The benchmark's floors give the same answers as the lines they are compared with."""

import json
from io import BytesIO, StringIO

import pypdf
import yaml
from django.core.management import call_command

from bench import floors
from departments.models import Department
from departments.services import tree_problems, tree_snapshot
from orgportal.generated_org import RARE_TERM
from orgportal.guide.health import organisation_health
from orgportal.orgfiles.handbook import handbook_html
from roles.models import Duty, Role
from teams.models import ProjectTeam


def test_tree_floor_is_the_tree_api_answer(large_org, api, superuser):
    answer = api(superuser).get("/api/v1/departments/tree/")
    assert json.loads(floors.tree_json()) == answer.json()


def test_chart_floor_links_every_active_department_once(large_org):
    html = floors.chart_html()
    assert html.count("<li>") == html.count("</li>") == 500
    assert html.count("<ul>") == html.count("</ul>")
    assert 'href="/departments/gen-499/"' in html


def test_branch_floor_links_the_children_the_fragment_shows(large_org, viewer_client):
    parent = Department.objects.get(level=1, lft=2)
    children = list(parent.get_children().filter(is_active=True).values_list("code", flat=True))
    html = floors.branch_html(parent.code, 50)
    fragment = viewer_client.get(f"/chart/branch/{parent.code}/").content.decode()
    assert html.count("<li>") == len(children) > 0
    for code in children:
        assert f'href="/departments/{code}/"' in html
        assert f"/departments/{code}/" in fragment
    # Each child's branch totals: the active roles at or below it.
    child = Department.objects.get(code=children[0])
    roles = Role.objects.filter(
        is_active=True,
        department__tree_id=child.tree_id,
        department__lft__gte=child.lft,
        department__lft__lte=child.rght,
    ).count()
    below = (child.rght - child.lft - 1) // 2
    assert f"<span>{below}</span><span>{roles}</span>" in html


def test_search_floor_finds_at_most_101_duties_containing_the_term(large_org):
    found = floors.duty_search("生成职责")
    assert len(found) == 101 and all("生成职责" in text for _pk, text in found)
    rare = floors.duty_search(RARE_TERM)
    assert len(rare) == Duty.objects.filter(text__contains=RARE_TERM).count()


def test_shift_floor_and_its_inverse_leave_the_tree_as_it_was(large_org):
    before = tree_snapshot()
    floors.subtree_shift(tree_id=1, low=10, high=400, offset=1000)
    assert tree_problems() != []
    floors.subtree_shift(tree_id=1, low=1010, high=1400, offset=-1000)
    assert tree_snapshot() == before


def without_teams():
    """The floors write departments, roles and duties; project teams are not part of them."""
    ProjectTeam.objects.all().delete()


def test_export_floor_writes_the_data_of_export_org(large_org, tmp_path):
    without_teams()
    floors.export_yaml(tmp_path / "floor.yaml")
    call_command("export_org", str(tmp_path / "export.yaml"), stdout=StringIO())
    floor = yaml.safe_load((tmp_path / "floor.yaml").read_text(encoding="utf-8"))
    export = yaml.safe_load((tmp_path / "export.yaml").read_text(encoding="utf-8"))
    assert floor == export


def test_import_floor_writes_what_import_org_would(large_org, tmp_path):
    without_teams()
    exported = tmp_path / "export.yaml"
    call_command("export_org", str(exported), stdout=StringIO())
    floors.empty_organisation()
    assert not Department.objects.exists()
    assert floors.import_bulk(exported) == 500
    assert tree_problems() == []
    again = tmp_path / "again.yaml"
    call_command("export_org", str(again), stdout=StringIO())
    assert again.read_bytes() == exported.read_bytes()


def test_weasyprint_floor_makes_the_same_handbook_as_the_page(seed_org, viewer_client):
    page = pypdf.PdfReader(BytesIO(viewer_client.get("/handbook.pdf").content))
    floor = pypdf.PdfReader(BytesIO(floors.weasyprint_alone(handbook_html())))
    assert len(floor.pages) == len(page.pages) == 29
    assert floor.pages[5].extract_text() == page.pages[5].extract_text()


def test_health_floor_reads_the_rows_the_health_check_counts(large_org):
    health = organisation_health()

    assert floors.health_rows() == health.departments + health.roles + health.duties
