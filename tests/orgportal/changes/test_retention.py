"""thin_history: fewer records, the same organisation as of every date."""

import datetime
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from departments.models import Department
from departments.services import department_move
from orgportal.changes.models import Change
from orgportal.changes.records import HISTORY_MODELS
from orgportal.changes.states import organisation_file_data, rows_as_of
from roles.models import Duty


def test_thinning_keeps_the_state_of_every_day(seed_org):
    start = timezone.now() - datetime.timedelta(days=40)
    company = Department.objects.get(code="company")
    for day in range(3):
        for hour in range(4):
            with mock.patch(
                "django.utils.timezone.now",
                return_value=start + datetime.timedelta(days=day, hours=hour),
            ):
                finance = Department.objects.get(code="finance")
                finance.name_zh_hans = f"财务{day}-{hour}"
                finance.save()
                top = list(company.get_children())
                department_move(department=top[-1], target=company, position="first-child")
                duty = Duty.objects.order_by("pk").first()
                duty.text_zh_hans = f"职责{day}-{hour}"
                duty.save()
    ends = [
        timezone.make_aware(
            datetime.datetime.combine(
                timezone.localtime(start + datetime.timedelta(days=day)).date(),
                datetime.time.max,
            )
        )
        for day in range(3)
    ]
    before = [organisation_file_data(rows_as_of(end)) for end in ends]
    current = organisation_file_data(rows_as_of(timezone.now()))
    records = Department.history.count() + Duty.history.count()
    moves = Change.objects.filter(model="departments.department", kinds__contains="moved")
    moved = moves.count()
    out = StringIO()
    call_command("thin_history", "--days", "30", stdout=out)
    assert "Deleted" in out.getvalue()
    # Renames and duty edits thin to one a day; moves stay.
    assert Department.history.count() + Duty.history.count() < records
    assert moves.count() == moved == 12
    assert Duty.history.filter(history_date__lt=ends[-1]).count() <= 3 + Duty.objects.count()
    assert [organisation_file_data(rows_as_of(end)) for end in ends] == before
    assert organisation_file_data(rows_as_of(timezone.now())) == current
    assert Change.objects.count() == sum(
        historical.objects.count() for historical in HISTORY_MODELS.values()
    )


def test_a_dry_run_deletes_nothing(seed_org):
    records = Change.objects.count()
    call_command("thin_history", "--days", "1", "--dry-run", stdout=StringIO())
    assert Change.objects.count() == records


def test_days_must_be_positive(db):
    with pytest.raises(CommandError, match="--days"):
        call_command("thin_history", "--days", "0")


def test_more_days_than_a_date_can_go_back_is_an_error_naming_the_option(seed_org):
    records = Change.objects.count()
    with pytest.raises(CommandError, match="--days: 999999999 days ago"):
        call_command("thin_history", "--days", "999999999")
    assert Change.objects.count() == records
