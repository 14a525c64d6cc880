"""An import's dry run blocks no department write (PostgreSQL): it takes no lock."""

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from departments.models import Department
from orgportal.orgfiles import services
from orgportal.orgfiles.orgfile import parse_org_file
from tests.factories import DepartmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_department_write_does_not_wait_for_a_dry_run(monkeypatch):
    spec = parse_org_file(Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8"))
    services.organisation_import(spec=spec)
    planning, release = threading.Event(), threading.Event()
    plan_role = services._Planner.plan_role

    def slow_plan_role(self, *args, **kwargs):
        planning.set()
        release.wait(30)
        return plan_role(self, *args, **kwargs)

    monkeypatch.setattr(services._Planner, "plan_role", slow_plan_role)
    reports = []

    def dry_run():
        try:
            reports.append(services.organisation_import(spec=spec, dry_run=True))
        finally:
            connection.close()

    thread = threading.Thread(target=dry_run)
    thread.start()
    try:
        assert planning.wait(30)
        written = threading.Event()

        def write():
            try:
                DepartmentFactory(
                    code="while-planning", parent=Department.objects.get(code="company")
                )
                written.set()
            finally:
                connection.close()

        writer = threading.Thread(target=write)
        writer.start()
        # With the tree lock held by the dry run, this write would wait for it.
        assert written.wait(10), "a department write waited for the dry run"
        writer.join()
    finally:
        release.set()
        thread.join()
    assert reports and reports[0].changes == 0
