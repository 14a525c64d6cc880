"""The organisation profile in the admin: one form, for HR editors, without a list."""

from django.urls import reverse

from orgportal.guide.models import MODE_NAMES, STAGE_NAMES, Mode, OrganisationProfile, Stage
from tests.factories import UserFactory

CHANGE_URL = reverse("admin:guide_organisationprofile_change", args=[1])


def hr_admin_client(client):
    client.force_login(UserFactory(username="hr-admin", is_staff=True, groups=["HR editors"]))
    return client


def test_the_list_leads_to_the_one_form(client, db):
    response = hr_admin_client(client).get(reverse("admin:guide_organisationprofile_changelist"))

    assert response.status_code == 302
    assert response["Location"] == CHANGE_URL


def test_hr_set_mode_and_stage_before_any_profile_exists(client, db):
    client = hr_admin_client(client)
    assert client.get(CHANGE_URL).status_code == 200

    response = client.post(CHANGE_URL, {"mode": "matrix", "stage": "growth"})

    assert response.status_code == 302
    profile = OrganisationProfile.objects.get()
    assert (profile.pk, profile.mode, profile.stage) == (1, "matrix", "growth")


def test_hr_unset_the_stage(client, db):
    OrganisationProfile(mode="matrix", stage="growth").save()

    hr_admin_client(client).post(CHANGE_URL, {"mode": "matrix", "stage": ""})

    assert OrganisationProfile.load().stage == ""


def test_an_unknown_mode_is_refused_and_nothing_changes(client, db):
    OrganisationProfile(mode="matrix").save()

    response = hr_admin_client(client).post(CHANGE_URL, {"mode": "hierarchy", "stage": ""})

    assert response.status_code == 200
    assert "hierarchy" in response.content.decode()
    assert OrganisationProfile.load().mode == "matrix"


def test_there_is_no_add_or_delete(client, db):
    client = hr_admin_client(client)

    assert client.get(reverse("admin:guide_organisationprofile_add")).status_code == 403
    OrganisationProfile(mode="matrix").save()
    assert (
        client.get(reverse("admin:guide_organisationprofile_delete", args=[1])).status_code == 403
    )


def test_a_viewer_without_permission_cannot_change_it(client, db):
    client.force_login(UserFactory(username="staff", is_staff=True))

    assert client.post(CHANGE_URL, {"mode": "matrix", "stage": ""}).status_code == 403
    assert not OrganisationProfile.objects.exists()


def test_the_profile_is_saved_as_the_one_row(db):
    OrganisationProfile(mode="project").save()
    OrganisationProfile(mode="matrix").save()

    assert list(OrganisationProfile.objects.values_list("pk", "mode")) == [(1, "matrix")]


def test_the_seed_names_of_modes_and_stages_match_the_choices():
    assert list(MODE_NAMES) == Mode.values and list(STAGE_NAMES) == Stage.values
