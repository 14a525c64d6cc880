"""The org chart at /: login, cards with totals, collapsing, focus, outline and query counts."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from departments.models import Department
from departments.services import department_archive
from tests.conftest import PASSWORD, figures
from tests.factories import DepartmentFactory, RoleFactory, UserFactory

# Session, user (the chart reads outside ATOMIC_REQUESTS' transaction), the viewer's two
# permission lookups (own and through groups) for the "show archived" switch, and the
# organisation version (the ETag); then the path (the root, and with ?focus= the focus and the
# departments above it), the rows shown (the children of the open departments, or the whole
# tree of a small organisation) and their role totals. ?focus= adds the check that the code
# names a department in the chart, made before a cached drawing is served.
CHART_QUERIES = 8
# What a drawing served from the cache costs: everything but the path, rows and totals.
CACHED_CHART_QUERIES = CHART_QUERIES - 3


def card(content, code):
    """Return the HTML of the chart card of department ``code``."""
    match = re.search(rf'<article [^>]*id="dept-{re.escape(code)}".*?</article>', content, re.S)
    assert match, f"no card for {code}"
    return match.group(0)


def card_numbers(content, code):
    """Return the figures the chart card of department ``code`` shows."""
    return figures(card(content, code))


def branch_open(content, code):
    """Return whether the branch below department ``code`` is drawn open.

    A closed branch is either drawn closed (a small chart draws everything) or not drawn at
    all: a link that opens it on demand (see branch_on_demand).
    """
    match = re.search(
        rf'id="dept-{re.escape(code)}".*?</article>\s*<(details|a) class="org-(?:branch|toggle)'
        r"([^>]*)>",
        content,
        re.S,
    )
    assert match, f"no branch below {code}"
    return match.group(1) == "details" and " open" in match.group(2)


def branch_on_demand(content, code):
    """Return the fragment URL of the closed, undrawn branch below ``code``, or None."""
    match = re.search(
        rf'id="dept-{re.escape(code)}".*?</article>\s*<(details|a) class="org-([^>]*)>',
        content,
        re.S,
    )
    assert match, f"no branch below {code}"
    url = re.search(r'data-branch-url="([^"]*)"', match.group(2))
    return url.group(1).replace("&amp;", "&") if match.group(1) == "a" and url else None


def test_chart_sends_anonymous_visitors_to_the_login(client, seed_org):
    response = client.get(reverse("chart:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/"


@override_settings(ORGPORTAL_PUBLIC_READ=True)
def test_chart_is_readable_anonymously_when_public_read_is_on(client, seed_org):
    response = client.get(reverse("chart:home"))

    assert response.status_code == 200
    assert "数字运营部" in response.content.decode()
    assert reverse("login") in response.content.decode()


def test_login_page_logs_in_and_opens_the_chart(client, viewer):
    page = client.get(reverse("login")).content.decode()
    login_form = page[page.index('<form class="form"') :]
    next_url = re.search(r'name="next" value="([^"]*)"', login_form).group(1)

    response = client.post(
        reverse("login"), {"username": "viewer", "password": PASSWORD, "next": next_url}
    )

    assert 'name="password"' in page
    assert response.status_code == 302
    assert response["Location"] == reverse("chart:home")


def test_login_page_returns_to_the_page_that_asked_for_it(client, viewer, seed_org):
    target = reverse("departments:detail", kwargs={"code": "finance"})

    response = client.post(
        reverse("login") + f"?next={target}", {"username": "viewer", "password": PASSWORD}
    )

    assert response["Location"] == target


def test_login_with_a_wrong_password_says_so_and_stays(client, viewer):
    response = client.post(reverse("login"), {"username": "viewer", "password": "wrong"})

    assert response.status_code == 200
    assert 'class="alert alert--error"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_button_logs_out(viewer_client, seed_org):
    content = viewer_client.get(reverse("chart:home")).content.decode()

    response = viewer_client.post(reverse("logout"))

    assert f'action="{reverse("logout")}" method="post"' in content
    assert response.status_code == 302
    assert "_auth_user_id" not in viewer_client.session


def test_admin_link_shows_only_for_staff(client, seed_org, viewer, superuser):
    admin_url = reverse("admin:index")
    client.force_login(viewer)
    as_viewer = client.get(reverse("chart:home")).content.decode()
    client.force_login(superuser)
    as_staff = client.get(reverse("chart:home")).content.decode()

    assert f'href="{admin_url}"' not in as_viewer
    assert f'href="{admin_url}"' in as_staff


def test_chart_has_a_card_for_the_root_and_all_eight_departments(viewer_client, seed_org):
    content = viewer_client.get(reverse("chart:home")).content.decode()

    codes = re.findall(r'<article [^>]*id="dept-([\w-]+)"', content)
    assert codes[0] == "company"
    assert len(codes) == 9
    assert "org-card--root" in card(content, "company")
    assert "流量转化,渠道深耕" in card(content, "digital-operations")


def test_cards_count_the_roles_and_planned_seats_of_their_whole_branch(viewer_client, seed_org):
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="seo-team", parent=digital)
    squad = DepartmentFactory(code="seo-squad", parent=team)
    RoleFactory(department=team, headcount=4)
    RoleFactory(department=squad, headcount=5)
    RoleFactory(department=squad, headcount=7, is_active=False)

    content = viewer_client.get(reverse("chart:home")).content.decode()

    # 数字运营部's own three roles have no headcount (the seed states none): 4 + 5 seats are
    # planned below it, and more may come, so "9+".
    assert card_numbers(content, "digital-operations") == {
        "branch-roles": "5",
        "branch-seats": "9+",
    }
    assert card_numbers(content, "seo-team") == {"branch-roles": "2", "branch-seats": "9"}
    assert card_numbers(content, "seo-squad") == {"branch-roles": "1", "branch-seats": "5"}
    assert card_numbers(content, "finance") == {"branch-roles": "2", "branch-seats": "—"}
    # The root's card counts the departments and all roles.
    assert card_numbers(content, "company") == {"departments": "10", "branch-roles": "21"}
    assert "含下级岗位" in card(content, "finance") and "含下级编制" in card(content, "finance")


def test_the_chart_never_invents_a_headcount_for_the_seed(viewer_client, seed_org):
    content = viewer_client.get(reverse("chart:home")).content.decode()
    head = content.split('<div class="toolbar">')[0]

    assert figures(head) == {"departments": "8", "branch-roles": "19", "branch-seats": "—"}
    assert "19 个岗位尚未填写计划编制" in head


def test_archived_departments_are_left_out_of_the_chart_and_its_headcount(viewer_client, seed_org):
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="seo-team", parent=digital)
    RoleFactory(department=team, headcount=4)
    department_archive(department=team)

    content = viewer_client.get(reverse("chart:home") + "?archived=1").content.decode()

    assert 'id="dept-seo-team"' not in content
    assert card_numbers(content, "digital-operations") == {
        "branch-roles": "3",
        "branch-seats": "—",
    }


def test_hr_sees_archived_departments_on_request(client, hr_editor, seed_org):
    department_archive(department=Department.objects.get(code="finance"))
    client.force_login(hr_editor)

    default = client.get(reverse("chart:home")).content.decode()
    archived = client.get(reverse("chart:home") + "?archived=1").content.decode()

    assert 'id="dept-finance"' not in default
    assert "is-archived" in card(archived, "finance")
    assert "?archived=1" in default  # the switch that asks for them
    # An archived department has no active roles, so the root's totals leave it out.
    assert card_numbers(archived, "company")["branch-roles"] == "17"
    assert card_numbers(default, "company")["branch-roles"] == "17"


def test_collapsible_branches_work_without_javascript(viewer_client, seed_org):
    content = viewer_client.get(reverse("chart:home")).content.decode()

    assert '<details class="org-branch" data-branch data-root open>' in content
    assert "<summary" in content
    assert 'data-action="expand-all" hidden' in content  # shown by the script only


def test_large_chart_draws_only_the_root_and_the_first_level(viewer_client, large_org):
    content = viewer_client.get(reverse("chart:home")).content.decode()

    assert branch_open(content, "company")
    assert not branch_open(content, "gen-1")
    # Of 500 departments, the company and its eight children are drawn; the rest open on
    # demand, each closed card linked to its fragment and, without JavaScript, to a focus.
    assert re.findall(r'<article [^>]*id="dept-([\w-]+)"', content) == [
        "company",
        *(f"gen-{index}" for index in range(1, 9)),
    ]
    assert branch_on_demand(content, "gen-1") == "/chart/branch/gen-1/?view=chart"
    assert 'href="/?focus=gen-1#dept-gen-1"' in content


def test_focus_opens_the_path_to_the_department_and_highlights_its_card(viewer_client, large_org):
    # gen-100's parent is gen-12, whose parent is gen-1 (eight children per department).
    content = viewer_client.get(reverse("chart:home") + "?focus=gen-100").content.decode()

    assert branch_open(content, "company")
    assert branch_open(content, "gen-1")
    assert branch_open(content, "gen-12")
    assert not branch_open(content, "gen-2")
    assert branch_on_demand(content, "gen-2") == "/chart/branch/gen-2/?view=chart"
    # The open levels only: the company, its 8 children, gen-1's 8 and gen-12's 8.
    assert content.count('<article class="org-card') == 1 + 8 + 8 + 8
    focused = card(content, "gen-100")
    assert "is-focused" in focused
    assert 'aria-current="true"' in focused
    assert content.count("is-focused") == 1


def test_focus_highlights_the_row_in_the_outline_too(viewer_client, seed_org):
    url = reverse("chart:home") + "?view=outline&focus=finance"

    content = viewer_client.get(url).content.decode()

    row = re.search(r'<div class="outline-row[^"]*" id="outline-finance"[^>]*>', content).group(0)
    assert "is-focused" in row
    assert 'aria-current="true"' in row


def test_focus_on_an_unknown_code_says_so(viewer_client, seed_org):
    response = viewer_client.get(reverse("chart:home") + "?focus=nowhere")

    assert response.status_code == 200
    assert "“nowhere”" in response.content.decode()
    assert "is-focused" not in response.content.decode()


def test_outline_lists_every_department_as_a_collapsible_list(viewer_client, seed_org):
    content = viewer_client.get(reverse("chart:home") + "?view=outline").content.decode()

    assert len(re.findall(r'class="outline-row[ "]', content)) == 9
    assert '<details class="outline-branch" data-branch data-root open>' in content
    assert "org-chart" not in content


def test_every_page_has_the_search_box_and_the_language_switch(viewer_client, seed_org):
    urls = [
        reverse("chart:home"),
        reverse("search:results") + "?q=SEO",
        reverse("departments:detail", kwargs={"code": "digital-operations"}),
        reverse("roles:detail", kwargs={"code": "seo-sem-specialist"}),
    ]
    for url in urls:
        content = viewer_client.get(url).content.decode()
        assert f'action="{reverse("search:results")}"' in content, url
        assert f'action="{reverse("set_language")}"' in content, url


def test_pages_load_only_local_assets(viewer_client, seed_org):
    content = viewer_client.get(reverse("chart:home")).content.decode()

    assert not re.search(r'(src|href)="(https?:)?//', content)
    assert "style=" not in content
    assert re.search(r"<script(?![^>]*\bsrc=)", content) is None


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_login_page_runs_a_fixed_number_of_queries(
    org, request, db, client, django_assert_num_queries
):
    request.getfixturevalue(org)

    # The request's savepoint and its release; the anonymous visitor has no session yet.
    with django_assert_num_queries(2):
        response = client.get(reverse("login"))

    assert response.status_code == 200


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
@pytest.mark.parametrize("query", ["", "?view=outline", "?focus=company"])
def test_chart_runs_a_fixed_number_of_queries(
    org, query, request, viewer_client, django_assert_num_queries
):
    request.getfixturevalue(org)

    with django_assert_num_queries(CHART_QUERIES + ("focus" in query)):
        response = viewer_client.get(reverse("chart:home") + query)

    assert response.status_code == 200


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_chart_with_archived_items_runs_a_fixed_number_of_queries(
    org, request, db, client, django_assert_num_queries
):
    request.getfixturevalue(org)
    client.force_login(UserFactory(username="hr-archive", groups=["HR editors"]))
    department_archive(department=Department.objects.filter(level=1).last())

    with django_assert_num_queries(CHART_QUERIES):
        response = client.get(reverse("chart:home") + "?archived=1")

    assert response.status_code == 200
    assert "is-archived" in response.content.decode()


def test_the_drawn_chart_is_cached_until_the_organisation_changes(
    viewer_client, seed_org, django_assert_num_queries
):
    home = reverse("chart:home")
    viewer_client.get(home)
    # Served from the cache: everything but the queries that load the tree.
    with django_assert_num_queries(CACHED_CHART_QUERIES):
        cached = viewer_client.get(home)
    assert "数字运营部" in cached.content.decode()

    digital = Department.objects.get(code="digital-operations")
    digital.name = "数字增长部"
    digital.save()
    changed = viewer_client.get(home).content.decode()
    assert "数字增长部" in changed and "数字运营部" not in changed

    RoleFactory(department=digital, headcount=5)
    assert card_numbers(viewer_client.get(home).content.decode(), "digital-operations") == {
        "branch-roles": "4",
        "branch-seats": "5+",
    }


def test_cached_charts_differ_by_language_and_view(viewer_client, seed_org):
    home = reverse("chart:home")
    chinese = viewer_client.get(home).content.decode()
    english = viewer_client.get(home, headers={"accept-language": "en"}).content.decode()
    outline = viewer_client.get(home + "?view=outline").content.decode()
    assert "数字运营部" in chinese and "Digital Operations" in english
    assert 'class="outline"' in outline and 'class="outline"' not in chinese


def main(content):
    """Return the page's main part (the site's header carries a CSRF token per answer)."""
    return re.search(r"<main .*</main>", content, re.S).group(0)


def content_renders(monkeypatch):
    """Count the renders of the chart page's content (its cached HTML)."""
    from orgportal.chart import views

    renders = []
    render = views.render_to_string

    def counting(template, *args, **kwargs):
        if template == views.CONTENT_TEMPLATE:
            renders.append(template)
        return render(template, *args, **kwargs)

    monkeypatch.setattr(views, "render_to_string", counting)
    return renders


def test_the_chart_pages_content_is_cached_per_query_until_the_organisation_changes(
    viewer_client, seed_org, monkeypatch
):
    renders = content_renders(monkeypatch)
    home = reverse("chart:home")
    first = main(viewer_client.get(home + "?teams=1").content.decode())
    again = main(viewer_client.get(home + "?teams=1").content.decode())
    assert len(renders) == 1
    # The toolbar's links repeat the query: another query is another content.
    assert first == again and 'href="?teams=1&amp;view=outline"' in first
    outline = viewer_client.get(home + "?teams=1&view=outline").content.decode()
    assert len(renders) == 2 and 'class="outline"' in outline

    digital = Department.objects.get(code="digital-operations")
    digital.name = "数字增长部"
    digital.save()
    assert "数字增长部" in viewer_client.get(home + "?teams=1").content.decode()
    assert len(renders) == 3


@pytest.mark.parametrize(
    "query", ["?utm=mail", "?view=sideways", "?teams=1&teams=1", "?focus=no-such-code"]
)
def test_the_chart_page_with_other_parameters_is_drawn_but_its_content_not_cached(
    viewer_client, seed_org, monkeypatch, query
):
    renders = content_renders(monkeypatch)
    home = reverse("chart:home")
    viewer_client.get(home + query)
    viewer_client.get(home + query)

    assert renders == []  # drawn through the page's include each time


def test_the_chart_pages_cached_content_keeps_each_readers_archived_switch(
    client, viewer, hr_editor, seed_org
):
    home = reverse("chart:home")
    client.force_login(viewer)
    assert "archived=1" not in client.get(home).content.decode()
    client.force_login(hr_editor)
    assert 'href="?archived=1"' in client.get(home).content.decode()
    client.force_login(viewer)
    assert "archived=1" not in client.get(home).content.decode()


def test_unknown_focus_codes_share_one_drawing(viewer_client, seed_org, monkeypatch):
    from orgportal.chart.views import OrgChartView

    drawings = []
    draw = OrgChartView.draw_chart
    monkeypatch.setattr(
        OrgChartView,
        "draw_chart",
        lambda self, *args, **kwargs: drawings.append(args) or draw(self, *args, **kwargs),
    )
    for code in ["nope-1", "nope-2", "nope-3", ""]:
        response = viewer_client.get(reverse("chart:home"), {"focus": code})
        assert response.status_code == 200
    assert len(drawings) == 1
    viewer_client.get(reverse("chart:home"), {"focus": "finance"})
    assert len(drawings) == 2


def test_the_outline_labels_the_companys_own_and_all_roles_apart(viewer_client, seed_org):
    content = viewer_client.get(reverse("chart:home") + "?view=outline").content.decode()
    row = re.search(r'id="outline-company".*?</div>', content, re.S).group(0)
    shown = {
        name: re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", value))
        for name, value in re.findall(r'data-figure="([\w-]+)".*?<b>(.*?)</b>', row, re.S)
    }

    assert shown == {"own-roles": "0", "branch-roles": "19", "branch-seats": "—"}
    for label in ("本部门岗位", "含下级岗位", "含下级编制"):
        assert label in row
