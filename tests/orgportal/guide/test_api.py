"""/api/v1/organisation/ and /api/v1/insights/: the profile, the counts and the health check."""

from django.apps import apps
from django.test import override_settings

from orgportal.guide.models import OrganisationProfile
from tests.factories import DepartmentFactory, RoleFactory, UserFactory, company_root
from tests.orgportal.guide.test_insights_page import INSIGHTS_QUERIES

ORGANISATION = "/api/v1/organisation/"
INSIGHTS = "/api/v1/insights/"


def test_the_organisation_has_name_mode_stage_and_counts(api, seed_org):
    OrganisationProfile(mode="matrix").save()
    client = api(UserFactory())

    response = client.get(ORGANISATION)

    assert response.status_code == 200
    data = response.json()
    assert data["code"] == "company" and data["name"] == "互联网营销企业"
    assert (data["mode"], data["mode_label"]) == ("matrix", "矩阵型")
    assert (data["stage"], data["stage_label"]) == (None, None)
    counts = data["counts"]
    assert counts["departments_below_root"] == 8
    assert (counts["roles"], counts["duties"], counts["depth"]) == (19, 60, 2)
    if not apps.is_installed("teams"):
        assert counts["project_teams"] is None


def test_the_organisation_speaks_the_requested_language(api, seed_org):
    OrganisationProfile(mode="matrix", stage="growth").save()

    data = api(UserFactory()).get(ORGANISATION, {"lang": "en"}).json()

    assert data["name"] == "Internet Marketing Company"
    assert (data["mode_label"], data["stage_label"]) == ("Matrix", "Growth")


def test_an_empty_organisation_is_404_in_the_error_format(api, db):
    response = api(UserFactory()).get(ORGANISATION)

    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_reading_needs_a_login(client, seed_org):
    assert client.get(ORGANISATION).status_code == 401
    assert client.get(INSIGHTS).status_code == 401


def test_the_profile_cannot_be_written_through_these_endpoints(api, seed_org, hr_editor):
    response = api(hr_editor).post(ORGANISATION, {"mode": "project"}, format="json")

    assert response.status_code == 405
    assert OrganisationProfile.load().mode == "matrix"


def test_insights_give_every_figure(api, seed_org):
    data = api(UserFactory()).get(INSIGHTS).json()

    assert data["summary"] == {
        "departments": 9,
        "departments_below_root": 8,
        "depth": 2,
        "roles": 19,
        "duties": 60,
        "planned_seats": 0,
        "roles_without_headcount": 19,
        "similar_duty_pairs": 0,
    }
    departments = data["span_of_control"]["departments"]
    assert departments["target"] == "4–7"
    assert [band["managers"] for band in departments["bands"]] == [0, 0, 0, 1, 0]
    [company] = departments["outside_target"]["items"]
    assert (company["code"], company["span"], company["url"]) == (
        "company",
        8,
        "/departments/company/",
    )
    assert company["admin_url"].startswith("/admin/departments/department/")
    assert data["depth"]["leaves_by_depth"] == [{"layers": 2, "leaves": 8}]
    assert data["headcount"]["without_planned_seats"]["count"] == 9
    assert data["gaps"]["empty_departments"] == {"count": 0, "items": []}
    assert data["overlap"]["threshold"] == 0.5


@override_settings(ORGPORTAL_SPAN_TARGET="8-12")
def test_insights_follow_the_configured_target(api, seed_org):
    departments = api(UserFactory()).get(INSIGHTS).json()["span_of_control"]["departments"]

    assert departments["target"] == "8–12"
    assert departments["in_target"] == 1 and departments["outside_target"]["count"] == 0


def test_long_lists_are_counted_in_full_and_cut_at_100(api, db):
    root = company_root()
    for number in range(105):
        DepartmentFactory(code=f"empty-{number}", parent=root)

    empty = api(UserFactory()).get(INSIGHTS).json()["gaps"]["empty_departments"]

    assert empty["count"] == 105 and len(empty["items"]) == 100


def test_insights_run_a_fixed_number_of_queries(api, large_org, django_assert_num_queries):
    client = api(UserFactory())
    RoleFactory(code="extra", department=large_org)
    # The token and its user instead of the session and the user, no permission lookups, and
    # the savepoint and release of ATOMIC_REQUESTS, which the page reads without.
    with django_assert_num_queries(INSIGHTS_QUERIES - 3 + 2):
        response = client.get(INSIGHTS)

    assert response.json()["summary"]["departments_below_root"] == 499
