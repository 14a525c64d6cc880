"""Role and Duty rules: no reporting cycles, ordered duties, language-aware titles."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from roles.models import Role
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory


@pytest.fixture
def chain(db):
    """ceo <- manager <- specialist."""
    ceo = RoleFactory(code="ceo")
    manager = RoleFactory(code="manager", reports_to=ceo)
    specialist = RoleFactory(code="specialist", reports_to=manager)
    return ceo, manager, specialist


def test_a_reporting_cycle_is_rejected(chain):
    ceo, _, specialist = chain
    ceo.reports_to = specialist
    with translation.override("en"), pytest.raises(ValidationError) as error:
        ceo.full_clean()
    assert "cycle" in error.value.message_dict["reports_to"][0]


def test_a_role_cannot_report_to_itself(chain):
    ceo = chain[0]
    ceo.reports_to = ceo
    with pytest.raises(ValidationError) as error:
        ceo.full_clean()
    assert "reports_to" in error.value.message_dict


def test_a_reporting_chain_without_cycle_is_valid(chain):
    ceo, manager, specialist = chain
    specialist.reports_to = ceo
    specialist.full_clean()


def test_the_same_title_may_appear_in_several_departments(db):
    RoleFactory(title="运营专员", department=DepartmentFactory())
    RoleFactory(title="运营专员", department=DepartmentFactory())
    assert Role.objects.filter(title="运营专员").count() == 2


def test_role_codes_are_unique(db):
    RoleFactory(code="analyst")
    duplicate = RoleFactory.build(code="analyst", department=DepartmentFactory())
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "code" in error.value.message_dict


def test_duties_keep_their_sort_order(db):
    role = RoleFactory()
    DutyFactory(role=role, text="second", sort_order=2)
    DutyFactory(role=role, text="first", sort_order=1)
    assert list(role.duties.values_list("text", flat=True)) == ["first", "second"]


def test_roles_under_a_department_include_its_subtree(db):
    parent = DepartmentFactory()
    child = DepartmentFactory(parent=parent)
    inside = {RoleFactory(department=parent).code, RoleFactory(department=child).code}
    RoleFactory(department=DepartmentFactory())
    assert set(Role.objects.under(parent).values_list("code", flat=True)) == inside


def test_a_roles_title_follows_the_language(db):
    role = Role(title="数据分析师", title_en="Data Analyst")
    with translation.override("en"):
        assert str(role) == "Data Analyst"
    with translation.override("zh-hans"):
        assert str(role) == "数据分析师"
