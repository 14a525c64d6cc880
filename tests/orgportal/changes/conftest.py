"""A scripted sequence of changes at known moments, with the export taken at each."""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from departments.models import Department
from departments.services import department_archive, department_move
from orgportal.orgfiles.export import organisation_data
from orgportal.orgfiles.orgfile import parse_org_file
from orgportal.orgfiles.services import organisation_import
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember


@pytest.fixture(autouse=True)
def number_changes_at_once(request):
    """Inside a test's transaction, which never commits, number changes as they are logged.

    On PostgreSQL the change log is numbered at COMMIT (a deferred trigger); tests that run in
    a transaction that rolls back make it fire at once instead. The test of the numbering at
    commit itself runs with real transactions.
    """
    if "db" in request.fixturenames:
        request.getfixturevalue("db")
        from django.db import connection

        # A test with real transactions is outside any atomic block here.
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS orgportal_change_number_at_commit IMMEDIATE")
    yield


@dataclass
class Timeline:
    """Moments between the steps (ISO strings) and the exports taken at each."""

    moments: list = field(default_factory=list)
    exports: list = field(default_factory=list)
    visible_exports: list = field(default_factory=list)
    # The pages a test module lists in CAPTURE_PAGES, as a viewer saw them then: url -> (status,
    # content), one mapping per moment.
    pages: list = field(default_factory=list)


def _at(moment):
    """Make the history of the writes inside the block carry ``moment``."""
    from unittest import mock

    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def timeline(db, request):
    """Four steps a day apart, from 2026-05-01; an export at the end of each of three days."""
    start = timezone.make_aware(datetime.datetime(2026, 5, 1, 10, 0))
    line = Timeline()
    capture = getattr(request.module, "CAPTURE_PAGES", ())
    if capture:
        from django.test import Client

        from tests.factories import UserFactory

        reader = Client()
        reader.force_login(UserFactory(username="timeline-viewer"))

    def snapshot(day):
        line.moments.append((start + datetime.timedelta(days=day, hours=1)).isoformat())
        line.exports.append(organisation_data())
        line.visible_exports.append(organisation_data(include_archived=False))
        pages = {}
        for url in capture:
            response = reader.get(url)
            pages[url] = (response.status_code, response.content.decode())
        line.pages.append(pages)

    with _at(start - datetime.timedelta(days=10)):
        text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
        organisation_import(spec=parse_org_file(text))
    company = Department.objects.get(code="company")
    with _at(start):
        # Day 0: a department moves under another one and one is renamed.
        top = list(company.get_children())
        department_move(department=top[-1], target=top[0], position="first-child")
        finance = Department.objects.get(code="finance")
        finance.name_zh_hans = "财务中心"
        finance.save()
        team = ProjectTeam.objects.get(code="team-618")
        team.name_zh_hans = "618大促项目组（一期）"
        team.save()
    snapshot(0)
    with _at(start + datetime.timedelta(days=1)):
        # Day 1: a new department with a role, a duty edited, a role archived.
        new = Department(code="data-office", name_zh_hans="数据办公室", parent=company)
        new.save()
        Role(code="growth-analyst", title_zh_hans="增长分析师", department=new).save()
        duty = Duty.objects.order_by("pk").first()
        duty.text_zh_hans = "修订后的职责"
        duty.save()
        role = Role.objects.exclude(code="growth-analyst").order_by("pk").last()
        role.is_active = False
        role.save()
        TeamMember(
            team=ProjectTeam.objects.get(code="team-618"),
            role=Role.objects.get(code="growth-analyst"),
            responsibility_zh_hans="复盘数据",
            allocation=30,
            sort_order=9,
        ).save()
    snapshot(1)
    with _at(start + datetime.timedelta(days=2)):
        # Day 2: a department archived, a role moved, a duty removed, order changed.
        department_archive(department=Department.objects.get(code="finance"))
        role = Role.objects.get(code="growth-analyst")
        role.department = company
        role.save()
        Duty.objects.order_by("pk").last().delete()
        first = company.get_children().last()
        department_move(department=first, target=company, position="first-child")
        TeamMember.objects.filter(team__code="team-618").order_by("sort_order").first().delete()
        ProjectTeam(
            code="double-11",
            name_zh_hans="双11项目组",
            owner=Role.objects.get(code="growth-analyst"),
            status="planned",
        ).save()
    snapshot(2)
    with _at(start + datetime.timedelta(days=3)):
        Department.objects.get(code="data-office").delete()
    return line
