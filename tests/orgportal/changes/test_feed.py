"""The change feed: commit order, a cursor that never skips or repeats, and a faithful replay."""

import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.deletion import ProtectedError

from departments.models import Department
from departments.services import department_archive, department_move
from orgportal.changes.models import Change
from orgportal.changes.states import OrganisationRows, TreeReplay, organisation_file_data
from orgportal.guide.models import OrganisationProfile
from orgportal.orgfiles.export import organisation_data
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember
from tests.conftest import token_client
from tests.factories import UserFactory

FEED = "/api/v1/changes/"


def follow(client, since=0, limit=7):
    """Read the whole feed after ``since`` page by page, as a client would; return the items."""
    items = []
    url = f"{FEED}?since={since}&limit={limit}"
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["results"]
        if not body["more"]:
            return items, body["cursor"]
        url = body["next"]


def replay(items):
    """Apply feed items to an empty copy; return it as rows."""
    tree = TreeReplay()
    copies = {"role": {}, "duty": {}, "projectteam": {}, "teammember": {}}
    for item in items:
        data = item["data"]
        if item["model"] == "department":
            tree.apply(data, data["position"], deleted=item["action"] == "deleted")
        elif item["action"] == "deleted":
            copies.setdefault(item["model"], {}).pop(item["id"], None)
        else:
            copies.setdefault(item["model"], {})[item["id"]] = data

    def ordered(rows):
        return sorted(rows.values(), key=lambda row: (row["sort_order"], row["id"]))

    profiles = list(copies.get("organisationprofile", {}).values())
    return OrganisationRows(
        tree.in_tree_order(),
        ordered(copies["role"]),
        ordered(copies["duty"]),
        teams=sorted(copies["projectteam"].values(), key=lambda row: row["code"]),
        members=ordered(copies["teammember"]),
        profile=profiles[0] if profiles else None,
    )


def random_writes(rng, count):
    """Make ``count`` random writes through the portal's write paths; refusals are fine."""
    for step in range(count):
        departments = list(Department.objects.all())
        roles = list(Role.objects.all())
        duties = list(Duty.objects.all())
        teams = list(ProjectTeam.objects.all())
        members = list(TeamMember.objects.all())
        department = rng.choice(departments)
        action = rng.randrange(19)
        try:
            with transaction.atomic():
                if action == 0:
                    Department(
                        code=f"d{step}", name_zh_hans=f"部门{step}", parent=department
                    ).save()
                elif action == 1:
                    department.name_zh_hans = f"{department.name_zh_hans}改"
                    department.name_en = f"Renamed {step}"
                    department.save()
                elif action == 2:
                    target = rng.choice(departments)
                    position = rng.choice(["first-child", "last-child", "left", "right"])
                    department_move(department=department, target=target, position=position)
                elif action == 3 and department.parent_id:
                    department_archive(department=department)
                elif action == 4 and not department.is_active:
                    department.is_active = True
                    department.save()
                elif action == 5:
                    Role(
                        code=f"r{step}",
                        title_zh_hans=f"岗位{step}",
                        department=department,
                        headcount=rng.choice([None, 1, 3]),
                        sort_order=rng.randrange(5),
                    ).save()
                elif action == 6 and roles:
                    role = rng.choice(roles)
                    role.department = department
                    role.title_zh_hans = f"{role.title_zh_hans}新"
                    role.reports_to = rng.choice([None, *roles[:5]])
                    role.full_clean()
                    role.save()
                elif action == 7 and roles:
                    role = rng.choice(roles)
                    role.is_active = not role.is_active
                    role.save()
                elif action == 8 and roles:
                    Duty(role=rng.choice(roles), text_zh_hans=f"职责{step}", sort_order=step).save()
                elif action == 9 and duties:
                    duty = rng.choice(duties)
                    duty.text_zh_hans = f"{duty.text_zh_hans}（修订）"
                    duty.area_zh_hans = "新方向"
                    duty.save()
                elif action == 10 and duties:
                    rng.choice(duties).delete()
                elif action == 11 and roles:
                    rng.choice(roles).delete()
                elif action == 12 and roles:
                    ProjectTeam(
                        code=f"t{step}",
                        name_zh_hans=f"项目组{step}",
                        owner=rng.choice(roles),
                        status=rng.choice(["planned", "active"]),
                    ).save()
                elif action == 13 and teams:
                    team = rng.choice(teams)
                    team.name_zh_hans = f"{team.name_zh_hans}改"
                    team.status = rng.choice(["planned", "active", "closed"])
                    team.is_active = rng.random() > 0.2
                    team.save()
                elif action == 14 and teams and roles:
                    TeamMember(
                        team=rng.choice(teams),
                        role=rng.choice(roles),
                        responsibility_zh_hans=f"分工{step}",
                        allocation=rng.choice([None, 20, 50]),
                        sort_order=step,
                    ).save()
                elif action == 15 and members:
                    member = rng.choice(members)
                    member.responsibility_zh_hans = f"{member.responsibility_zh_hans}（改）"
                    member.allocation = rng.choice([None, 30])
                    member.save()
                elif action == 16 and members:
                    rng.choice(members).delete()
                elif action == 17 and teams:
                    rng.choice(teams).delete()
                elif action == 18:
                    profile = OrganisationProfile.load()
                    profile.mode = rng.choice(["", "matrix", "functional"])
                    profile.save()
        except (ValidationError, ProtectedError):
            pass


def test_replaying_the_feed_from_the_start_gives_the_current_export(seed_org, hr_editor):
    random_writes(random.Random(14), 80)
    leaves = Department.objects.filter(
        parent__isnull=False, children__isnull=True, roles__isnull=True
    )
    for leaf in list(leaves)[:2]:
        leaf.delete()
    items, cursor = follow(token_client(hr_editor))
    assert cursor == Change.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert [item["cursor"] for item in items] == sorted({item["cursor"] for item in items})
    assert {item["action"] for item in items} == {"created", "changed", "deleted"}
    models = {(item["model"], item["action"]) for item in items}
    for model in ("projectteam", "teammember"):
        assert {(model, "created"), (model, "changed"), (model, "deleted")} <= models
    export = organisation_data()
    assert export["teams"] and any(team["members"] for team in export["teams"])
    assert organisation_file_data(replay(items)) == export


def test_following_the_cursor_gives_only_newer_changes(hr, hr_editor):
    _items, cursor = follow(hr)
    assert follow(hr, since=cursor)[0] == []
    hr.patch(
        "/api/v1/departments/finance/",
        {"tagline": "新"},
        format="json",
        HTTP_X_CHANGE_REASON="季度调整",
    )
    (item,), _cursor = follow(hr, since=cursor)
    assert item["cursor"] > cursor
    assert (item["model"], item["action"], item["user"]) == ("department", "changed", "hr")
    assert (item["reason"], item["source"], item["data"]["tagline_zh_hans"]) == (
        "季度调整",
        "api",
        "新",
    )
    assert "lft" not in item["data"] and item["data"]["position"] is not None


def test_the_feed_runs_a_fixed_number_of_queries(large_org, hr_editor, django_assert_num_queries):
    client = token_client(hr_editor)
    cursor = client.get(f"{FEED}?since=999999").json()["cursor"]
    last = Change.objects.order_by("-seq").values_list("seq", flat=True).first()
    department = Department.objects.get(code="gen-7")
    department.name_zh_hans = "改名"
    department.save()
    role = Role.objects.first()
    role.headcount = 9
    role.save()
    duty = Duty.objects.first()
    duty.text_zh_hans = "改"
    duty.save()
    # Authentication with the permissions (3), the page, one query per model in it.
    for since, limit in ((last, 10), (0, 1000)):
        with django_assert_num_queries(7 if since else 6):
            response = client.get(f"{FEED}?since={since}&limit={limit}")
        assert len(response.json()["results"]) == (3 if since else 1000)
    assert cursor == 999999


@pytest.mark.parametrize(
    ("query", "field"),
    [("since=-1", "since"), ("since=x", "since"), ("limit=0", "limit"), ("limit=1001", "limit")],
)
def test_a_bad_cursor_or_limit_is_a_clear_error(hr, query, field):
    response = hr.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_only_editors_follow_the_feed(seed_org, viewer):
    assert token_client(viewer).get(FEED).status_code == 403
    assert token_client(UserFactory(username="nobody")).get(FEED).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_that_commits_late_is_not_skipped(hr_editor):
    """The first writer is numbered when it commits, so a cursor past the second never skips
    it; ordered by insertion it would be lost.

    The slow writer's role is archived: an active role's write updates the role totals of its
    department and of every active department above it (roles 0006 and 0007), so any other
    active role's write would wait for its commit.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    company = Department(code="company", name_zh_hans="公司")
    company.save()
    sales = Department(code="sales", name_zh_hans="销售部", parent=company)
    sales.save()
    client = token_client(hr_editor)
    _items, cursor = follow(client)
    written = threading.Event()
    release = threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                Role(
                    code="slow", title_zh_hans="慢", department_id=company.pk, is_active=False
                ).save()
                written.set()
                release.wait(10)
        finally:
            from django.db import connection as thread_connection

            thread_connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(10)
    Role(code="fast", title_zh_hans="快", department_id=sales.pk).save()
    seen, cursor = follow(client, since=cursor)
    assert [item["data"]["code"] for item in seen] == ["fast"]
    release.set()
    thread.join(10)
    late, _cursor = follow(client, since=cursor)
    assert [item["data"]["code"] for item in late] == ["slow"]
    slow, fast = (
        Change.objects.get(model="roles.role", object_id=Role.objects.get(code=c).pk)
        for c in ("slow", "fast")
    )
    assert slow.id < fast.id and slow.seq > fast.seq
