"""Writes of the organisation profile: from the admin's form, and from organisation files."""

from django.db import transaction

from orgportal.guide.models import OrganisationProfile


def profile_changes(*, mode: str, stage: str) -> list[str]:
    """Return what setting the profile to ``mode`` and ``stage`` would change, as report text."""
    profile = OrganisationProfile.load()
    return [
        f"{name} {getattr(profile, name) or 'null'} → {value or 'null'}"
        for name, value in (("mode", mode), ("stage", stage))
        if getattr(profile, name) != value
    ]


@transaction.atomic
def profile_update(*, mode: str, stage: str) -> list[str]:
    """Set the organisation's structure mode and business stage ("" for not set).

    Return what changed (nothing is saved when nothing changes); the values are checked
    against the model's choices first.
    """
    changes = profile_changes(mode=mode, stage=stage)
    if changes:
        profile = OrganisationProfile.load()
        profile.mode, profile.stage = mode, stage
        profile.full_clean()
        profile.save()
    return changes


def profile_file_values(include_archived=True) -> dict:
    """Return the profile as the organisation file's root writes it: mode and stage, null
    where not set."""
    profile = OrganisationProfile.load()
    return {"mode": profile.mode or None, "stage": profile.stage or None}
