"""The chart's branches on demand: /chart/branch/<code>/ answers a department's children as a
server-rendered fragment, a page at a time, cached per branch and organisation version, with
the archived rules and a fixed number of queries; closed cards count what lies below them."""

import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from departments.models import Department
from departments.services import department_archive
from departments.tree import load_tree
from orgportal.generated_org import build_large_org
from tests.conftest import figures
from tests.factories import RoleFactory, UserFactory
from tests.orgportal.test_chart import CHART_QUERIES, branch_on_demand, card

# Session, user (the fragment reads outside a transaction), the viewer's two permission lookups,
# the organisation version (the ETag), and the check that the reader sees the department (and
# how many children): a fragment served from the cache.
CACHED_BRANCH_QUERIES = 6
# Drawn: the path to the department, the page of children and their role totals.
BRANCH_QUERIES = CACHED_BRANCH_QUERIES + 3


def branch_url(code, **query):
    url = reverse("chart:branch", kwargs={"code": code})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def codes(content):
    """Return the codes of the departments drawn in ``content``, in order."""
    return re.findall(
        r'<(?:article|div) class="(?:org-card|outline-row)[^"]*" id="(?:dept|outline)-([\w-]+)"',
        content,
    )


def shown_below(department, *, include_archived=False):
    """Return how many departments below ``department`` a reader sees, counted the slow way."""
    below = Department.objects.descendants_of(department)
    if not include_archived:
        below = below.visible()
    return below.count()


def children_codes(code):
    return list(
        Department.objects.get(code=code)
        .get_children()
        .filter(is_active=True)
        .values_list("code", flat=True)
    )


@pytest.fixture
def chart_cookie(viewer_client):
    """The viewer with the CSRF cookie the chart sets, part of every page's ETag."""
    viewer_client.get(reverse("chart:home"))
    return viewer_client


def test_a_branch_answers_the_childrens_cards_as_a_fragment(viewer_client, large_org):
    response = viewer_client.get(branch_url("gen-1"))

    content = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<html" not in content and "<body" not in content
    assert content.startswith('<details class="org-branch" data-branch open>')
    assert codes(content) == children_codes("gen-1")
    # Each closed card: the departments below it, its fragment and, without JavaScript, the
    # chart opened at it.
    gen_9 = Department.objects.get(code="gen-9")
    assert f'<span aria-hidden="true">{shown_below(gen_9)}</span>' in content
    assert branch_on_demand(content, "gen-9") == "/chart/branch/gen-9/?view=chart"
    assert 'href="/?focus=gen-9#dept-gen-9"' in content


def test_a_branchs_cards_count_roles_and_seats_as_the_whole_tree_does(viewer_client, large_org):
    gen_10 = Department.objects.get(code="gen-10")
    RoleFactory(department=gen_10.get_children().first(), headcount=None)
    department_archive(department=gen_10.get_children().last())
    # As an older version left it: an archived department with active ones and roles below.
    Department._base_manager.filter(code="gen-11").update(is_active=False)
    whole = {node.code: node for node in load_tree(Department.objects.all()).walk()}
    with_archived = {
        node.code: node
        for node in load_tree(Department.objects.all(), include_archived=True).walk()
    }
    assert with_archived["gen-11"].subtree_role_count == with_archived["gen-11"].role_count

    content = viewer_client.get(branch_url("gen-1")).content.decode()

    for code in children_codes("gen-1"):
        node = whole[code]
        seats = f"{node.seats}+" if node.seats_unknown else str(node.seats)
        assert figures(card(content, code)) == {
            "branch-roles": str(node.subtree_role_count),
            "branch-seats": seats,
        }, code
        assert f'<span aria-hidden="true">{node.descendant_count}</span>' in content
    archived = Client()
    archived.force_login(UserFactory(username="hr-totals", groups=["HR editors"]))
    content = archived.get(branch_url("gen-1", archived=1)).content.decode()
    assert "gen-11" in codes(content)
    for code in codes(content):
        node = with_archived[code]
        assert figures(card(content, code))["branch-roles"] == str(node.subtree_role_count)
    chart = archived.get(reverse("chart:home") + "?archived=1").content.decode()
    head = figures(chart.split('<div class="toolbar">')[0])
    assert head["branch-roles"] == str(with_archived["company"].subtree_role_count)
    assert head["departments"] == str(with_archived["company"].descendant_count)


def test_the_outline_has_branches_of_its_own(viewer_client, large_org):
    content = viewer_client.get(branch_url("gen-2", view="outline")).content.decode()

    assert content.startswith('<details class="outline-branch" data-branch open>')
    assert codes(content) == children_codes("gen-2")
    assert 'data-branch-url="/chart/branch/gen-17/?view=outline"' in content
    assert 'href="/?view=outline&amp;focus=gen-17#outline-gen-17"' in content


@override_settings(ORGPORTAL_CHART_PAGE_SIZE=3)
def test_a_wide_branch_comes_a_page_at_a_time_with_a_show_more_link(viewer_client, large_org):
    children = children_codes("gen-1")  # eight

    first = viewer_client.get(branch_url("gen-1")).content.decode()
    second = viewer_client.get(branch_url("gen-1", page=2)).content.decode()
    last = viewer_client.get(branch_url("gen-1", page=3)).content.decode()

    assert codes(first) == children[:3]
    assert codes(second) == children[3:6]
    assert codes(last) == children[6:]
    assert 'data-more-url="/chart/branch/gen-1/?view=chart&amp;page=2"' in first
    assert "显示更多(还有 5 个部门)" in first
    assert 'data-more-url="/chart/branch/gen-1/?view=chart&amp;page=3"' in second
    assert "data-more" not in last
    # Without JavaScript, "show more" leads to the department's page, which lists them all.
    assert 'href="/departments/gen-1/#children-title"' in first


@override_settings(ORGPORTAL_CHART_PAGE_SIZE=3)
def test_the_chart_pages_wide_levels_too(viewer_client, large_org):
    content = viewer_client.get(reverse("chart:home")).content.decode()

    assert codes(content) == ["company", "gen-1", "gen-2", "gen-3"]
    assert 'data-more-url="/chart/branch/company/?view=chart&amp;page=2"' in content


@override_settings(ORGPORTAL_CHART_PAGE_SIZE=3)
def test_a_focus_beyond_the_first_page_is_drawn_beside_it(viewer_client, large_org):
    # gen-7's parent is the company, whose first page holds gen-1 to gen-3.
    content = viewer_client.get(reverse("chart:home") + "?focus=gen-7").content.decode()

    assert codes(content)[:5] == ["company", "gen-1", "gen-2", "gen-3", "gen-7"]
    assert "is-focused" in card(content, "gen-7")
    # Marked, so that "show more" puts gen-4 to gen-6 before it.
    beyond = re.findall(
        r'<li class="org-node" data-node data-beyond-page>\s*<article [^>]*id="dept-([\w-]+)"',
        content,
    )
    assert beyond == ["gen-7"]


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "", "99999999"])
def test_a_bad_page_is_a_400_naming_the_field(viewer_client, large_org, page):
    response = viewer_client.get(branch_url("gen-1", page=page))

    assert response.status_code == 400
    assert response.content.decode().startswith("page:")


def test_a_page_past_the_end_and_an_unknown_code_are_not_found(viewer_client, large_org):
    assert viewer_client.get(branch_url("gen-1", page=2)).status_code == 404
    assert viewer_client.get(branch_url("nowhere")).status_code == 404
    assert viewer_client.get(branch_url("not a code!")).status_code == 404


def test_as_of_branches_open_through_the_chart_instead(viewer_client, large_org):
    response = viewer_client.get(branch_url("gen-1", as_of="2026-01-01"))

    assert response.status_code == 400
    assert response.content.decode().startswith("as_of:")


def test_branches_follow_the_archived_rules(viewer_client, hr_editor, large_org):
    gen_1 = Department.objects.get(code="gen-1")
    department_archive(department=gen_1)
    client = Client()
    client.force_login(hr_editor)

    # Nothing at or below an archived department, for those who may not see archived items.
    assert viewer_client.get(branch_url("gen-1")).status_code == 404
    assert viewer_client.get(branch_url("gen-9")).status_code == 404
    assert viewer_client.get(branch_url("gen-1", archived=1)).status_code == 404
    assert client.get(branch_url("gen-9")).status_code == 404  # HR, until they ask
    archived = client.get(branch_url("gen-1", archived=1)).content.decode()
    assert codes(archived) == list(gen_1.get_children().values_list("code", flat=True))
    assert "is-archived" in card(archived, "gen-9")
    assert 'data-branch-url="/chart/branch/gen-9/?view=chart&amp;archived=1"' in archived


def test_archived_departments_drop_out_of_a_branch_and_its_counts(
    viewer_client, hr_editor, large_org
):
    gen_9 = Department.objects.get(code="gen-9")
    department_archive(department=gen_9.get_children().first())
    client = Client()
    client.force_login(hr_editor)
    gen_9.refresh_from_db()

    default = viewer_client.get(branch_url("gen-1")).content.decode()
    archived = client.get(branch_url("gen-1", archived=1)).content.decode()

    assert shown_below(gen_9) == 7
    assert re.search(r"生成部门9:下设 7 个部门", default)
    assert re.search(r"生成部门9:下设 8 个部门", archived)
    assert codes(viewer_client.get(branch_url("gen-9")).content.decode()) == children_codes("gen-9")
    assert len(children_codes("gen-9")) == 7


def test_closed_cards_on_the_chart_count_only_what_the_reader_sees(
    viewer_client, hr_editor, large_org
):
    gen_1 = Department.objects.get(code="gen-1")
    department_archive(department=gen_1.get_children()[2])
    client = Client()
    client.force_login(hr_editor)
    gen_1.refresh_from_db()

    default = viewer_client.get(reverse("chart:home")).content.decode()
    archived = client.get(reverse("chart:home") + "?archived=1").content.decode()

    full = (gen_1.rght - gen_1.lft - 1) // 2
    assert shown_below(gen_1) == full - 9  # the archived child and its eight
    assert f"生成部门1:下设 {full - 9} 个部门" in default
    assert f"生成部门1:下设 {full} 个部门" in archived
    # The root's figure counts what is seen too.
    root = Department.objects.get(code="company")
    assert f"公司:下设 {shown_below(root)} 个部门" in default


def test_a_branch_is_cached_per_organisation_version(
    chart_cookie, large_org, django_assert_num_queries
):
    url = branch_url("gen-1")
    first = chart_cookie.get(url).content.decode()
    with django_assert_num_queries(CACHED_BRANCH_QUERIES):
        cached = chart_cookie.get(url).content.decode()
    assert cached == first

    gen_9 = Department.objects.get(code="gen-9")
    gen_9.name = "改名部门"
    gen_9.save()
    with django_assert_num_queries(BRANCH_QUERIES):
        changed = chart_cookie.get(url).content.decode()
    assert "改名部门" in changed and "改名部门" not in first


def test_a_branch_is_drawn_in_the_readers_language(viewer_client, large_org):
    chinese = viewer_client.get(branch_url("gen-1")).content.decode()
    english = viewer_client.get(
        branch_url("gen-1"), headers={"accept-language": "en"}
    ).content.decode()

    assert "生成部门9" in chinese and "Generated 9" not in chinese
    assert "Generated 9" in english and "9 departments below" not in english
    assert "Generated 9: 8 departments below" in english


def test_a_branch_answers_304_while_the_organisation_stays_the_same(chart_cookie, large_org):
    url = branch_url("gen-1")
    etag = chart_cookie.get(url)["ETag"]

    assert chart_cookie.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert chart_cookie.get(branch_url("gen-2"))["ETag"] != etag
    Department.objects.filter(code="gen-9").get().save()
    assert chart_cookie.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_teams_overlay_marks_a_branchs_cards(viewer_client, large_org):
    content = viewer_client.get(branch_url("company", teams=1)).content.decode()

    # The generated teams draw on departments across the organisation.
    assert "team-badge" in content
    assert 'data-branch-url="/chart/branch/gen-1/?view=chart&amp;teams=1"' in content


@pytest.mark.parametrize("size", [80, 500])
@pytest.mark.parametrize("query", ["", "?view=outline"])
def test_a_branch_runs_a_fixed_number_of_queries_whatever_the_size(
    size, query, db, viewer_client, django_assert_num_queries
):
    build_large_org(departments=size)
    viewer_client.get(reverse("chart:home"))  # the CSRF cookie, as the chart's script has

    with django_assert_num_queries(BRANCH_QUERIES):
        response = viewer_client.get(branch_url("gen-1") + query)

    assert response.status_code == 200
    assert codes(response.content.decode()) == children_codes("gen-1")


def test_the_chart_runs_a_fixed_number_of_queries_at_a_deep_focus(
    viewer_client, django_assert_num_queries, db
):
    build_large_org(departments=2000)
    viewer_client.get(reverse("chart:home"))
    # gen-1999's path: gen-249, gen-31, gen-3, the company.
    with django_assert_num_queries(CHART_QUERIES + 1):  # the focus's check
        content = viewer_client.get(reverse("chart:home") + "?focus=gen-1999").content.decode()

    assert "is-focused" in card(content, "gen-1999")

    def gen(*indexes):
        return [f"gen-{index}" for index in indexes]

    # In tree order: the company's children, and the children of each department on the path.
    assert codes(content) == [
        "company",
        *gen(1, 2, 3),
        *gen(*range(25, 31)),
        "gen-31",
        "gen-249",
        *gen(*range(1993, 2000)),
        *gen(*range(250, 257)),
        "gen-32",
        *gen(*range(4, 9)),
    ]


def test_expand_all_is_offered_up_to_a_set_size(viewer_client, large_org, settings):
    home = reverse("chart:home")
    settings.ORGPORTAL_CHART_EXPAND_ALL_UP_TO = 300  # below the 499 departments

    too_big = viewer_client.get(home).content.decode()
    ignored = viewer_client.get(home + "?expand=all").content.decode()
    settings.ORGPORTAL_CHART_EXPAND_ALL_UP_TO = 499
    cache.clear()  # drawings are cached per organisation version, not per setting
    offered = viewer_client.get(home).content.decode()
    expanded = viewer_client.get(home + "?expand=all").content.decode()

    assert "data-expand-all" not in too_big and "展开分支即可查看下级部门" in too_big
    assert len(codes(ignored)) == 9
    assert 'href="?expand=all" data-expand-all' in offered
    assert len(codes(expanded)) == 500
    assert "data-branch-url" not in expanded
    # Everything drawn: the script's expand and collapse buttons work on the page itself.
    assert 'data-action="expand-all" hidden' in expanded


def test_expand_all_runs_a_fixed_number_of_queries(
    viewer_client, large_org, settings, django_assert_num_queries
):
    settings.ORGPORTAL_CHART_EXPAND_ALL_UP_TO = 1000
    viewer_client.get(reverse("chart:home"))

    with django_assert_num_queries(CHART_QUERIES):
        response = viewer_client.get(reverse("chart:home") + "?expand=all")

    assert len(codes(response.content.decode())) == 500


def test_an_as_of_chart_draws_the_open_levels_and_opens_others_by_focus(viewer_client, large_org):
    today = timezone.localdate().isoformat()
    home = reverse("chart:home")

    content = viewer_client.get(home, {"as_of": today}).content.decode()
    focused = viewer_client.get(home, {"as_of": today, "focus": "gen-100"}).content.decode()

    assert codes(content) == ["company", *(f"gen-{index}" for index in range(1, 9))]
    assert f'href="/?as_of={today}&amp;focus=gen-1#dept-gen-1"' in content
    assert "data-branch-url" not in content
    assert "is-focused" in card(focused, "gen-100")
    assert len(codes(focused)) == 1 + 8 + 8 + 8
