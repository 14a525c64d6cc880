"""Every API endpoint runs the same number of SQL queries whatever the organisation's size.

Each endpoint is asserted at one fixed count on the seed (9 departments) and on a generated
organisation of 500 departments, 2,500 roles and 5,000 duties.
"""

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from departments.models import Department
from roles.models import Duty, Role
from teams.models import ProjectTeam

# (name, method, url, body, queries, tree locks). {leaf} is the deepest department, {role} a
# role of it, {duty} a duty of that role. Reads run outside a transaction; writes include their
# transaction's SAVEPOINT and RELEASE (inside the test's transaction). Every count includes the
# token lookup, which also reads the organisation version and the user's permissions (one
# query: reads ask whether the user may see archived items, writes whether they may write).
# Writes lock the rows they change and reference (one query each). On PostgreSQL every tree
# lock is one more query (pg_advisory_xact_lock). Every write moves the organisation version on
# (one query).
ENDPOINTS = [
    ("department list", "get", "/api/v1/departments/", None, 3, 0),
    ("department list filtered", "get", "/api/v1/departments/?under=company&active=1", None, 4, 0),
    ("department detail", "get", "/api/v1/departments/{leaf}/", None, 2, 0),
    ("tree", "get", "/api/v1/departments/tree/", None, 2, 0),
    ("tree with roles", "get", "/api/v1/departments/tree/?include_roles=1", None, 3, 0),
    ("tree from a root", "get", "/api/v1/departments/tree/?root=company&depth=2", None, 3, 0),
    ("ancestors", "get", "/api/v1/departments/{leaf}/ancestors/", None, 4, 0),
    ("descendants", "get", "/api/v1/departments/company/descendants/", None, 4, 0),
    ("children", "get", "/api/v1/departments/company/children/", None, 4, 0),
    ("role list", "get", "/api/v1/roles/", None, 3, 0),
    ("roles under", "get", "/api/v1/roles/?under=company&search=岗", None, 4, 0),
    ("role detail", "get", "/api/v1/roles/{role}/", None, 4, 0),
    ("duty list", "get", "/api/v1/duties/", None, 3, 0),
    ("duties under", "get", "/api/v1/duties/?under=company", None, 4, 0),
    ("duty detail", "get", "/api/v1/duties/{duty}/", None, 2, 0),
    ("team list", "get", "/api/v1/teams/", None, 4, 0),
    (
        "teams filtered",
        "get",
        "/api/v1/teams/?department=company&role={role}&active=1",
        None,
        4,
        0,
    ),
    ("team detail", "get", "/api/v1/teams/{team}/", None, 3, 0),
    # The export streams: its three queries run while the body is read, then the organisation
    # profile's mode and stage (one each) and the project teams (two). Its ETag reads the
    # organisation version, which lives in the database.
    ("export", "get", "/api/v1/export/", None, 12, 0),
    ("export json", "get", "/api/v1/export/?format=json", None, 12, 0),
    # Writes include their history: the record, a department's sibling position, the record
    # before it (what kind of change) and the change log row (a duty's department too).
    ("department patch", "patch", "/api/v1/departments/{leaf}/", {"tagline": "新"}, 17, 1),
    (
        "department move",
        "post",
        "/api/v1/departments/{leaf}/move/",
        {"target": "company", "position": "first-child"},
        26,
        2,
    ),
    ("role patch", "patch", "/api/v1/roles/{role}/", {"headcount": 3}, 15, 0),
    ("duty patch", "patch", "/api/v1/duties/{duty}/", {"text": "新职责"}, 13, 0),
    (
        "team patch",
        "patch",
        "/api/v1/teams/{team}/",
        # Replaces the team's six members (seed and generated teams alike) with one; the team
        # and every member written or removed are recorded (history, change log, places).
        {"status": "active", "members": [{"role": "{role}", "allocation": 30}]},
        62,
        0,
    ),
]


@pytest.fixture(params=["seed_org", "large_org"])
def organisation(request, hr_editor):
    """Return the URL placeholders of the seed or of the large organisation."""
    request.getfixturevalue(request.param)
    leaf = Department.objects.order_by("-level", "-lft").first()
    role = Role.objects.filter(department=leaf).first() or Role.objects.first()
    duty = Duty.objects.filter(role=role).first()
    team = ProjectTeam.objects.order_by("code").first()
    return {"leaf": leaf.code, "role": role.code, "duty": duty.pk, "team": team.code}


@pytest.fixture
def hr(hr_editor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hr_editor).key}")
    return client


@pytest.mark.parametrize(
    ("method", "url", "body", "queries", "locks"),
    [endpoint[1:] for endpoint in ENDPOINTS],
    ids=[endpoint[0] for endpoint in ENDPOINTS],
)
def test_endpoint_runs_a_fixed_number_of_queries(
    organisation, hr, django_assert_num_queries, method, url, body, queries, locks
):
    url = url.format(**organisation)
    if body and "members" in body:
        body = {**body, "members": [{**body["members"][0], "role": organisation["role"]}]}
    if connection.vendor == "postgresql":
        queries += locks
    with django_assert_num_queries(queries):
        response = getattr(hr, method)(url, body, format="json")
        content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, content
