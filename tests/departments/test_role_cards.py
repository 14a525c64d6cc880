"""The roles and duties of a department page, read as rows (departments.views.role_cards):
what the template reads of each is what the model instances give, in every language, with
archived roles, texts missing in a language and duties with and without an area."""

import pytest
from django.utils import translation

from departments.views import group_by_area, role_cards
from roles.models import Duty, Role
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory

LANGUAGES = ("zh-hans", "en", "zh-hant")


def reference(department, include_archived):
    """The roles as the page read them before, with the ORM: the department's roles in their
    order (active ones without ``include_archived``) with their duties grouped by area."""
    roles = department.roles.order_by("sort_order", "pk").prefetch_related("duties")
    if not include_archived:
        roles = roles.filter(is_active=True)
    return [(role, group_by_area(role.duties.all())) for role in roles]


def described(role, groups):
    """What the department page's template reads of a role and its duties."""
    return (
        role.pk,
        role.code,
        role.get_absolute_url(),
        role.title,
        role.title_en,
        role.title_zh_hans,
        role.summary,
        role.headcount,
        role.is_active,
        [(area, [(duty.pk, duty.area, duty.text) for duty in duties]) for area, duties in groups],
    )


@pytest.fixture
def department(db):
    department = DepartmentFactory(code="roles-as-rows", name="行为部")
    first = RoleFactory(
        department=department,
        code="first",
        title="第一",
        title_en="First",
        summary="简介",
        summary_en="",
        headcount=None,
        sort_order=2,
    )
    # No English title or summary: English falls back to the simplified Chinese.
    second = RoleFactory(
        department=department,
        code="second",
        title="第二",
        title_en="",
        summary="",
        headcount=3,
        sort_order=1,
    )
    RoleFactory(department=department, code="archived", title="旧", is_active=False)
    RoleFactory(department=department, code="no-duties", title="无", sort_order=5)
    DutyFactory(role=first, area="甲", area_en="A", text="一", text_en="One", sort_order=2)
    DutyFactory(role=first, area="", text="二", text_en="", sort_order=1)
    DutyFactory(role=first, area="甲", area_en="", text="三", text_en="Three", sort_order=3)
    DutyFactory(role=second, area="乙", area_en="B", text="四", sort_order=0)
    archived = Role.objects.get(code="archived")
    DutyFactory(role=archived, text="旧职责")
    return department


@pytest.mark.parametrize("include_archived", [False, True])
@pytest.mark.parametrize("language", LANGUAGES)
def test_role_cards_read_what_the_instances_give(department, language, include_archived):
    with translation.override(language):
        cards = role_cards(department, include_archived=include_archived)
        expected = reference(department, include_archived)

        assert [described(card, card.duty_groups) for card in cards] == [
            described(role, groups) for role, groups in expected
        ]
        assert [card.duty_count for card in cards] == [
            sum(len(duties) for _area, duties in groups) for _role, groups in expected
        ]
    assert ("archived" in [card.code for card in cards]) is include_archived


def test_role_cards_of_a_department_without_roles_read_no_duties(db, django_assert_num_queries):
    department = DepartmentFactory(code="empty")
    Duty.objects.all().delete()

    with django_assert_num_queries(1):
        assert role_cards(department) == []


def test_role_cards_take_one_query(department, django_assert_num_queries):
    with django_assert_num_queries(1):
        role_cards(department, include_archived=True)
