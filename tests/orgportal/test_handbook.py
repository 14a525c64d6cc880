"""The handbook of job descriptions (岗位说明书) as PDF: its pages, its text, who may read it."""

import io
import re

import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from departments.models import Department
from departments.services import department_archive
from orgportal.orgfiles.handbook import handbook_html
from roles.models import Duty, Role
from teams.models import TeamMember
from tests.factories import (
    DepartmentFactory,
    DutyFactory,
    ProjectTeamFactory,
    RoleFactory,
    TeamMemberFactory,
    UserFactory,
)

HANDBOOK = reverse("orgfiles:handbook")


def department_handbook(code):
    return reverse("orgfiles:department-handbook", kwargs={"code": code})


def role_handbook(code):
    return reverse("orgfiles:role-handbook", kwargs={"code": code})


def read_pdf(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(response.content))


def squeezed(text):
    """Text without white space: PDF text extraction breaks lines where the page did."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def seed_handbook(seed_org, viewer_client):
    return read_pdf(viewer_client.get(HANDBOOK))


def test_the_seed_handbook_has_a_page_for_every_role(seed_handbook):
    pages = [page.extract_text() for page in seed_handbook.pages]
    # The cover, the contents, a page per department below the company and one per role.
    assert len(pages) == 1 + 1 + 8 + 19
    role_pages = [text for text in pages if "计划编制" in text and "汇报对象" in text]
    assert len(role_pages) == 19
    for role in Role.objects.all():
        [page] = [text for text in role_pages if squeezed(role.code) in squeezed(text)]
        assert squeezed(role.title) in squeezed(page)


def test_the_seed_handbook_holds_every_duty(seed_handbook):
    text = squeezed("".join(page.extract_text() for page in seed_handbook.pages))
    for duty in Duty.objects.all():
        assert squeezed(duty.text) in text, duty.text
        if duty.area:
            assert squeezed(duty.area) in text


def test_the_cover_contents_and_pages_say_where_they_are(seed_handbook, seed_org):
    cover, contents = (page.extract_text() for page in seed_handbook.pages[:2])
    assert "互联网营销企业" in cover and "岗位说明书" in cover and "共 19 个岗位" in cover
    # The contents give each department and role its page number.
    assert re.search(r"数字运营部\s*\.+\s*\d+", contents)
    assert re.search(r"SEO/SEM优化师\s*\.+\s*\d+", contents)
    seo_page_number = int(re.search(r"SEO/SEM优化师\s*\.+\s*(\d+)", contents).group(1))
    seo_page = seed_handbook.pages[seo_page_number - 1].extract_text()
    assert "seo-sem-specialist" in seo_page
    # Running headers: the organisation and the department; and "page / pages".
    assert "互联网营销企业" in seo_page and "数字运营部" in seo_page
    assert f"{seo_page_number} / 29" in seo_page
    assert "尚未规划" in seo_page  # the seed plans no seats: said, not shown as 0


def test_a_department_page_has_its_tagline_and_positioning(seed_handbook):
    text = next(
        page.extract_text()
        for page in seed_handbook.pages
        if "流量转化,渠道深耕" in page.extract_text()
    )
    assert "部门定位" in squeezed(text) and "通过数字渠道" in squeezed(text)


def test_a_department_handbook_covers_its_branch(seed_org, viewer_client):
    group = DepartmentFactory(
        code="seo-group", name="SEO组", parent=Department.objects.get(code="digital-operations")
    )
    DutyFactory(role=RoleFactory(code="seo-analyst", title="SEO分析师", department=group))

    pdf = read_pdf(viewer_client.get(department_handbook("digital-operations")))

    # The cover, the contents, the department, its 3 roles, the group and its role.
    assert len(pdf.pages) == 8
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "数字运营部 / SEO组" in text and "SEO分析师" in text
    assert "品牌策划" not in text


def test_a_role_handbook_is_its_job_description(seed_org, viewer_client):
    pdf = read_pdf(viewer_client.get(role_handbook("seo-sem-specialist")))

    assert len(pdf.pages) == 2  # the cover and the role
    text = squeezed(pdf.pages[1].extract_text())
    assert "SEO/SEM优化师" in text and "数字运营部" in text
    for duty in Role.objects.get(code="seo-sem-specialist").duties.all():
        assert squeezed(duty.text) in text


def test_a_role_page_names_its_project_teams(seed_org, viewer_client):
    member = TeamMember.objects.select_related("team").get(
        team__code="team-618", role__code="seo-sem-specialist"
    )
    team = member.team

    text = squeezed(
        read_pdf(viewer_client.get(role_handbook("seo-sem-specialist"))).pages[1].extract_text()
    )

    assert "项目组" in text and squeezed(team.name) in text
    assert squeezed(member.responsibility) in text and "Owner" not in text
    owner = squeezed(
        read_pdf(viewer_client.get(role_handbook(team.owner.code))).pages[1].extract_text()
    )
    with translation.override("zh-hans"):
        assert squeezed(team.name) + "·" + squeezed(gettext("Owner")) in owner
    # A closed team is not in the handbook, as it is not on the role page.
    team.status = "closed"
    team.save()
    text = squeezed(
        read_pdf(viewer_client.get(role_handbook("seo-sem-specialist"))).pages[1].extract_text()
    )
    assert squeezed(team.name) not in text


def test_the_handbook_speaks_english(seed_org, viewer_client):
    viewer_client.post(reverse("set_language"), {"language": "en", "next": "/"})

    pdf = read_pdf(viewer_client.get(role_handbook("seo-sem-specialist")))

    assert "Job descriptions" in pdf.pages[0].extract_text()
    role_page = pdf.pages[1].extract_text()
    assert "SEO/SEM Specialist" in role_page and "Digital Operations" in role_page
    assert "Not planned yet" in role_page


def test_the_handbook_speaks_traditional_chinese(seed_org, viewer_client):
    viewer_client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    role = Role.objects.get(code="seo-sem-specialist")

    pdf = read_pdf(viewer_client.get(role_handbook(role.code)))

    with translation.override("zh-hant"):
        title = gettext("Job descriptions")
    assert title != "Job descriptions" and title in pdf.pages[0].extract_text()
    role_page = squeezed(pdf.pages[1].extract_text())
    assert squeezed(role.title_zh_hant) in role_page
    assert squeezed(role.department.name_zh_hant) in role_page
    for duty in role.duties.all():
        assert squeezed(duty.text_zh_hant) in role_page


def test_reading_the_handbook_needs_a_login(seed_org, client):
    for url in (
        HANDBOOK,
        department_handbook("digital-operations"),
        role_handbook("brand-strategist"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_with_public_reading_anyone_may_read_the_handbook(seed_org, client):
    with override_settings(ORGPORTAL_PUBLIC_READ=True):
        assert read_pdf(client.get(role_handbook("brand-strategist")))


def test_archived_items_are_not_in_a_viewers_handbook(seed_org, viewer_client):
    department_archive(department=Department.objects.get(code="digital-operations"))
    Role.objects.filter(code="visual-designer").update(is_active=False)

    assert viewer_client.get(department_handbook("digital-operations")).status_code == 404
    assert viewer_client.get(role_handbook("seo-sem-specialist")).status_code == 404
    assert viewer_client.get(role_handbook("visual-designer")).status_code == 404
    # Asking for archived items changes nothing for a user who may not change them.
    assert viewer_client.get(role_handbook("visual-designer") + "?archived=1").status_code == 404
    pdf = read_pdf(viewer_client.get(HANDBOOK))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "数字运营部" not in text and "视觉设计师" not in text
    # The cover, the contents, 7 departments and 15 roles (3 went with the department).
    assert len(pdf.pages) == 1 + 1 + 7 + 15


def test_hr_may_ask_for_archived_items(seed_org, client):
    client.force_login(UserFactory(username="hr", groups=["HR editors"]))
    Role.objects.filter(code="visual-designer").update(is_active=False)

    assert client.get(role_handbook("visual-designer")).status_code == 404
    pdf = read_pdf(client.get(role_handbook("visual-designer") + "?archived=1"))
    assert "视觉设计师" in pdf.pages[1].extract_text()


def test_the_buttons_are_on_the_chart_department_and_role_pages(seed_org, viewer_client):
    for page, handbook in (
        (reverse("chart:home"), HANDBOOK),
        (
            reverse("departments:detail", kwargs={"code": "digital-operations"}),
            department_handbook("digital-operations"),
        ),
        (
            reverse("roles:detail", kwargs={"code": "seo-sem-specialist"}),
            role_handbook("seo-sem-specialist"),
        ),
    ):
        assert f'href="{handbook}"' in viewer_client.get(page).content.decode(), page


def snapshot_queries(**kwargs):
    with CaptureQueriesContext(connection) as queries:
        handbook_html(**kwargs)
    return len(queries.captured_queries)


def test_the_handbook_reads_a_fixed_number_of_queries(seed_org, large_org_below_seed):
    """Six for the organisation however large (two of them the project teams), seven for a
    branch (its path above it)."""
    assert snapshot_queries() == 6
    big = Department.objects.filter(level=1).order_by("-rght").first()
    assert snapshot_queries(top=big) == 7
    assert snapshot_queries(role=Role.objects.select_related("department").first()) == 7


@pytest.fixture
def large_org_below_seed(seed_org):
    """Add departments, roles and duties under the seed, so that queries per row would show."""
    parent = Department.objects.get(code="digital-operations")
    for number in range(20):
        department = DepartmentFactory(parent=parent)
        roles = [RoleFactory(department=department) for _role in range(3)]
        for role in roles:
            DutyFactory.create_batch(2, role=role)
        team = ProjectTeamFactory(code=f"below-seed-{number}", owner=roles[0])
        for role in roles:
            TeamMemberFactory(team=team, role=role)
        parent = department if number % 4 else Department.objects.get(code="digital-operations")


def test_the_pdf_is_made_once_until_the_organisation_changes(
    seed_org, viewer_client, django_assert_num_queries
):
    url = role_handbook("seo-sem-specialist")
    first = viewer_client.get(url).content
    # The request's savepoint and its release, the session, the user, the role and the
    # organisation version.
    with django_assert_num_queries(6):
        assert viewer_client.get(url).content == first
    duty = Role.objects.get(code="seo-sem-specialist").duties.first()
    duty.text = "每周复盘关键词排名"
    duty.save()
    text = read_pdf(viewer_client.get(url)).pages[1].extract_text()
    assert "每周复盘关键词排名" in squeezed(text)


@override_settings(ORGPORTAL_HANDBOOK_MAX_ROLES=2)
def test_a_handbook_too_large_for_a_request_is_refused_with_the_way_on(seed_org, viewer_client):
    response = viewer_client.get(HANDBOOK)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "共 19 个岗位" in page and "最多 2 个岗位" in page
    assert "manage.py handbook_pdf" in page
    # A branch above the limit names itself in the command; one within it is made as usual.
    response = viewer_client.get(department_handbook("digital-operations"))
    assert response.status_code == 413
    assert "--department digital-operations" in response.content.decode()
    assert 'href="/departments/digital-operations/"' in response.content.decode()
    small = Department.objects.get(code="finance")
    assert Role.objects.filter(department=small).count() == 2
    read_pdf(viewer_client.get(department_handbook("finance")))
    # A role's own page is always made.
    read_pdf(viewer_client.get(role_handbook("seo-sem-specialist")))


@override_settings(ORGPORTAL_HANDBOOK_MAX_ROLES=2)
def test_the_limit_counts_only_what_the_reader_sees(seed_org, viewer_client):
    department = Department.objects.get(code="digital-operations")
    visible_roles = Role.objects.filter(department=department, is_active=True).count()
    assert visible_roles > 2
    Role.objects.filter(department=department).update(is_active=False)
    read_pdf(viewer_client.get(department_handbook("digital-operations")))


def test_the_command_writes_any_handbook(seed_org, tmp_path):
    target = tmp_path / "handbook.pdf"
    call_command(
        "handbook_pdf",
        str(target),
        "--department",
        "digital-operations",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    pdf = pypdf.PdfReader(str(target))
    text = squeezed("".join(page.extract_text() for page in pdf.pages))
    assert "数字运营部" in text and "SEO/SEM优化师" in text
    assert "财务部" not in text


def test_the_command_speaks_the_language_asked_for(seed_org, tmp_path):
    target = tmp_path / "handbook.pdf"
    call_command(
        "handbook_pdf", str(target), "--language", "en", stdout=io.StringIO(), stderr=io.StringIO()
    )
    text = "".join(page.extract_text() for page in pypdf.PdfReader(str(target)).pages)
    assert "Job descriptions" in text


def test_the_command_names_a_bad_department_and_writes_nothing(seed_org, tmp_path):
    target = tmp_path / "handbook.pdf"
    with pytest.raises(CommandError, match='--department: unknown department "nowhere"'):
        call_command("handbook_pdf", str(target), "--department", "nowhere")
    department_archive(department=Department.objects.get(code="finance"))
    with pytest.raises(CommandError, match="archived"):
        call_command("handbook_pdf", str(target), "--department", "finance")
    assert not target.exists()
