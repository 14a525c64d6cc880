"""The organisation rebuilt from rows and from history equals the export."""

from django.utils import timezone

from departments.models import Department
from departments.services import department_archive, department_move
from orgportal.changes.states import (
    current_rows,
    organisation_file_data,
    rows_as_of,
    visible_rows,
)
from orgportal.orgfiles.export import organisation_data


def test_rows_written_as_a_file_equal_the_export(seed_org):
    department_archive(department=Department.objects.get(code="finance"))
    assert organisation_file_data(current_rows()) == organisation_data()
    assert organisation_file_data(visible_rows(current_rows())) == organisation_data(
        include_archived=False
    )


def test_history_as_of_now_rebuilds_the_current_organisation(seed_org):
    company = Department.objects.get(code="company")
    for department in list(Department.objects.filter(level=1).order_by("-lft"))[:3]:
        department_move(department=department, target=company, position="first-child")
    rows = rows_as_of(timezone.now())
    assert organisation_file_data(rows) == organisation_data()
    assert [row["code"] for row in rows.departments] == list(
        Department.objects.order_by("lft").values_list("code", flat=True)
    )
