"""Department, role and team pages as of a past moment show what the page showed then."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import figures

CAPTURE_PAGES = (
    "/departments/company/",
    "/departments/finance/",
    "/departments/data-office/",
    "/roles/growth-analyst/",
    "/roles/data-analyst/",
    "/teams/",
    "/teams/team-618/",
    "/teams/double-11/",
)

# A link to a department's or a role's page, not to its files (handbook.pdf, organisation.xlsx).
DOWNLOADS_LEFT_OUT = r'href="/{}/([\w-]+)/(?!handbook\.pdf|organisation\.xlsx)'


def facts(html):
    """What a page shows, whatever the day it is read: title, figures, and the departments,
    roles, teams and members it lists, in order (links without their query; not the download
    links, which pages as of a date leave out)."""
    title = re.search(r'<h1 class="hero__title">(.*?)</h1>', html, re.S)
    return {
        "title": re.sub(r"<[^>]+>", "", title.group(1)).strip() if title else None,
        "figures": figures(html),
        "departments": re.findall(DOWNLOADS_LEFT_OUT.format("departments"), html),
        "roles": re.findall(DOWNLOADS_LEFT_OUT.format("roles"), html),
        "role cards": re.findall(r'id="role-([\w-]+)"', html),
        "teams": re.findall(r'data-team="([\w-]+)"', html),
        "members": re.findall(r'data-member="([\w-]+)"', html),
        "duties": len(re.findall(r'class="duty', html)),
    }


@pytest.fixture
def reader(client, viewer):
    client.force_login(viewer)
    return client


def test_pages_as_of_three_past_moments_show_what_they_showed_then(reader, timeline):
    """Every page of CAPTURE_PAGES at each of the three moments (one timeline for all)."""
    statuses = set()
    for step, moment in enumerate(timeline.moments):
        for url in CAPTURE_PAGES:
            status, then = timeline.pages[step][url]
            response = reader.get(url, {"as_of": moment})
            assert response.status_code == status, (step, url)
            statuses.add(status)
            if status != 200:
                continue
            page = response.content.decode()
            assert "asof-banner" in page
            assert facts(page) == facts(then), (step, url)
    assert statuses == {200, 404}


def test_the_pages_tell_the_date_and_keep_it_in_their_links(reader, timeline):
    page = reader.get("/departments/company/", {"as_of": "2026-05-02"}).content.decode()
    assert "2026年5月2日的组织" in page
    assert 'href="/departments/data-office/?as_of=2026-05-02"' in page
    assert "?focus=company&amp;as_of=2026-05-02#dept-company" in page
    assert "数据办公室" in page
    today = reader.get("/departments/company/").content.decode()
    assert "asof-banner" not in today and "数据办公室" not in today


def test_a_page_of_what_did_not_exist_then_is_a_404(reader, timeline):
    for url in ("/departments/data-office/", "/roles/growth-analyst/", "/teams/double-11/"):
        assert reader.get(url, {"as_of": "2026-05-01"}).status_code == 404, url


def test_archived_rules_apply_as_they_stood_then(client, timeline, viewer, hr_editor):
    # finance was archived on day 2: staff see it on day 1, not on day 2; HR see it with
    # ?archived=1.
    client.force_login(viewer)
    assert client.get("/departments/finance/", {"as_of": "2026-05-02"}).status_code == 200
    assert client.get("/departments/finance/", {"as_of": "2026-05-03"}).status_code == 404
    client.force_login(hr_editor)
    response = client.get("/departments/finance/", {"as_of": "2026-05-03", "archived": "1"})
    assert response.status_code == 200
    assert "badge--archived" in response.content.decode()


def test_a_bad_as_of_shows_todays_page_with_the_error(reader, timeline):
    response = reader.get("/departments/company/", {"as_of": "nonsense"})
    assert response.status_code == 200
    assert 'id="as-of-error"' in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/departments/company/", "/roles/growth-analyst/", "/teams/team-618/", "/teams/"]
)
def test_a_page_as_of_runs_the_same_queries_whatever_the_date(reader, timeline, url):
    reader.get(url)  # the CSRF cookie
    counts = []
    for day in ("2026-05-02", "2026-05-03", "2026-05-04"):
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(url, {"as_of": day}).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


# Session, user, permissions, the organisation version (pages with ETags), then the seven
# queries of the organisation as of the date (the departments' places and texts, roles,
# duties, teams, members, the profile), the same for the seed organisation and the
# 500-department one.
AS_OF_QUERIES = {"department": 12, "role": 12, "team": 11, "teams": 11}


@pytest.mark.parametrize("organisation", ["seed_org", "large_org"])
@pytest.mark.parametrize("kind", AS_OF_QUERIES)
def test_a_page_as_of_runs_fixed_queries_whatever_the_size(
    request, client, viewer, organisation, kind, django_assert_num_queries
):
    from django.utils import timezone

    from roles.models import Role
    from teams.models import ProjectTeam

    request.getfixturevalue(organisation)
    client.force_login(viewer)
    department = "company" if organisation == "seed_org" else "gen-1"
    if kind == "department":
        url = f"/departments/{department}/"
    elif kind == "role":
        url = Role.objects.order_by("pk").first().get_absolute_url()
    elif kind == "team":
        url = ProjectTeam.objects.order_by("pk").first().get_absolute_url()
    else:
        url = "/teams/"
    client.get(url)  # the CSRF cookie
    moment = timezone.localtime().isoformat()
    with django_assert_num_queries(AS_OF_QUERIES[kind]):
        assert client.get(url, {"as_of": moment}).status_code == 200


@pytest.mark.parametrize("url", ["/", "/departments/company/", "/roles/data-analyst/"])
def test_pages_as_of_a_date_offer_no_download_of_todays_files(reader, timeline, url):
    # The handbook and the workbook hold today's organisation: not offered beside a past one.
    then = reader.get(url, {"as_of": timeline.moments[1]}).content.decode()
    today = reader.get(url).content.decode()
    assert 'data-download="handbook"' in today
    assert 'data-download="handbook"' not in then and 'data-download="workbook"' not in then
