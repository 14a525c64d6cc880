"""The chart's matrix overlay (?teams=1): team cards beside the tree with labelled
connections, "+N 项目组" badges, the archived rules and a fixed number of queries."""

import pytest
from django.urls import reverse

from roles.models import Role
from teams.models import ProjectTeam
from tests.orgportal.test_chart import CACHED_CHART_QUERIES, CHART_QUERIES

# The overlay's teams, and their members with roles and departments (values() rows).
OVERLAY_QUERIES = 2
DRAWN_ON = [
    "market-research-strategy",
    "digital-operations",
    "user-growth-operations",
    "data-technology",
    "customer-service",
]


def chart(client, query="?teams=1"):
    response = client.get(reverse("chart:home") + query)
    assert response.status_code == 200
    return response


def test_without_the_switch_the_chart_shows_no_teams(viewer_client, seed_org):
    html = chart(viewer_client, "").content.decode()
    assert 'id="team-overlay"' not in html and "team-badge" not in html
    assert 'href="?teams=1"' in html  # the switch is a link


def test_the_overlay_connects_each_team_to_the_departments_it_draws_on(viewer_client, seed_org):
    response = chart(viewer_client)
    html = response.content.decode()
    [team] = response.context["overlay"]
    assert team.code == "team-618" and team.owner == "营销策划经理"
    assert [c.code for c in team.connections] == DRAWN_ON
    assert team.connections[1].roles == ["SEO/SEM优化师", "电商运营"]
    assert team.connections[0].has_owner
    assert html.count('class="team-link"') == 5
    assert html.count('class="team-badge"') == 5
    assert 'data-team-departments="' + " ".join(DRAWN_ON) + '"' in html
    assert "+1 项目组" in html
    assert "focus=digital-operations" in html and 'aria-pressed="true"' in html


def test_the_overlay_in_the_outline_and_in_english(client, viewer, seed_org):
    client.force_login(viewer)
    html = chart(client, "?view=outline&teams=1").content.decode()
    assert html.count('class="team-badge"') == 5 and "#outline-digital-operations" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = chart(client).content.decode()
    assert "618 Shopping Festival Project Team" in html and "+1 project team" in html


def test_closed_archived_and_hidden_members_stay_off_the_chart(viewer_client, seed_org):
    role = Role.objects.get(code="software-engineer")
    role.is_active = False
    role.save()
    [team] = chart(viewer_client).context["overlay"]
    assert "data-technology" not in [c.code for c in team.connections]
    team = ProjectTeam.objects.get(code="team-618")
    team.status = "closed"
    team.save()  # a save invalidates the cached drawing
    assert chart(viewer_client).context["overlay"] == []


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
@pytest.mark.parametrize("query", ["?teams=1", "?view=outline&teams=1"])
def test_the_overlay_runs_a_fixed_number_of_queries(
    org, query, request, viewer_client, django_assert_num_queries
):
    request.getfixturevalue(org)
    with django_assert_num_queries(CHART_QUERIES + OVERLAY_QUERIES):
        response = chart(viewer_client, query)
    assert len(response.context["overlay"]) == ProjectTeam.objects.count()
    # Drawn once, then served from the cache until the organisation changes (as the chart
    # without teams is, tests/orgportal/test_chart.py).
    with django_assert_num_queries(CACHED_CHART_QUERIES):
        chart(viewer_client, query)
