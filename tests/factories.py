"""factory_boy factories for the organisation models and users."""

import importlib

import factory
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from departments.models import Department
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember


def company_root():
    """Return the organisation's root, creating it when the tree is empty."""
    root = Department.objects.root_nodes().first()
    if root is None:
        root = Department.objects.create(code="company", name="公司", name_en="Company")
    return root


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")
    tagline = "协同高效"
    positioning = "负责部门的核心工作。"
    parent = factory.LazyFunction(company_root)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    code = factory.Sequence(lambda n: f"role-{n}")
    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda n: f"岗位{n}")
    title_en = factory.Sequence(lambda n: f"Role {n}")
    headcount = 1


class DutyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Duty

    role = factory.SubFactory(RoleFactory)
    text = factory.Sequence(lambda n: f"职责{n}")
    sort_order = factory.Sequence(lambda n: n)


class ProjectTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectTeam

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"项目组{n}")
    name_en = factory.Sequence(lambda n: f"Project team {n}")
    purpose = "完成项目目标。"
    owner = factory.SubFactory(RoleFactory)
    status = ProjectTeam.Status.ACTIVE


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    team = factory.SubFactory(ProjectTeamFactory)
    role = factory.SubFactory(RoleFactory)
    responsibility = factory.Sequence(lambda n: f"负责事项{n}")
    sort_order = factory.Sequence(lambda n: n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        if create and names:
            if "HR editors" in names:
                ensure_hr_editors_group()
            self.groups.add(*Group.objects.filter(name__in=names))


def ensure_hr_editors_group():
    """Create the HR editors group as its data migration does.

    Transactional tests (the concurrency tests) flush the database afterwards, which removes
    the rows that migrations created; later tests that need the group get it back here.
    """
    migration = importlib.import_module("roles.migrations.0002_hr_editors_group")
    migration.create_group(django_apps, None)
    profile = importlib.import_module("orgportal.guide.migrations.0002_hr_editors_profile")
    profile.grant_profile(django_apps, None)
    importlib.import_module("teams.migrations.0002_hr_editors_group").grant(django_apps, None)
