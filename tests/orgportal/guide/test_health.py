"""Organisation health: spans, depth, headcount, gaps and similar duties of known structures."""

import pytest
from django.test import override_settings

from departments.services import department_archive
from orgportal.guide.health import (
    bigrams,
    normalise,
    organisation_health,
    parse_band,
    similar_duties,
)
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory, company_root


def codes(items):
    return sorted(item.code for item in items)


def band_counts(spans):
    return {band["band"]: band["managers"] for band in spans.bands}


def test_the_seed_measures_as_a_reader_counts_it(seed_org):
    health = organisation_health()

    assert health.departments == 9
    assert health.departments_below_root == 8
    assert (health.roles, health.duties) == (19, 60)
    assert health.depth == 2
    assert health.leaves_by_depth == [{"layers": 2, "leaves": 8}]
    # The company has eight departments directly below it: one manager, in the band 8–12.
    assert health.department_spans.managers == 1
    assert band_counts(health.department_spans)["8–12"] == 1
    assert codes(health.department_spans.outside) == ["company"]
    assert health.department_spans.outside[0].value == 8
    # The seed names no reporting lines and plans no seats.
    assert health.role_spans.managers == 0
    assert health.seats == 0 and health.roles_without_headcount == 19
    assert len(health.without_seats) == 9
    assert health.empty_departments == [] and health.roles_without_duties == []
    assert health.roles_without_line == []
    assert health.overlaps == []


def test_spans_fall_into_their_bands(db):
    root = company_root()
    wide = DepartmentFactory(code="wide", parent=root)
    for number in range(13):
        DepartmentFactory(code=f"wide-{number}", parent=wide)
    single = DepartmentFactory(code="single", parent=root)
    DepartmentFactory(code="single-child", parent=single)
    middle = DepartmentFactory(code="middle", parent=root)
    for number in range(5):
        DepartmentFactory(code=f"middle-{number}", parent=middle)

    spans = organisation_health().department_spans

    # company 3 (2–3), wide 13 (13+), single 1 (1), middle 5 (4–7).
    assert band_counts(spans) == {"1": 1, "2–3": 1, "4–7": 1, "8–12": 0, "13+": 1}
    assert [band["share"] for band in spans.bands] == [0.25, 0.25, 0.25, 0.0, 0.25]
    assert spans.target == (4, 7) and spans.in_target == 1
    assert {item.code: item.value for item in spans.outside} == {
        "company": 3,
        "wide": 13,
        "single": 1,
    }
    assert spans.largest == 13


@override_settings(ORGPORTAL_SPAN_TARGET="2-3")
def test_the_target_band_comes_from_the_settings(db):
    root = company_root()
    DepartmentFactory(code="a", parent=root)
    DepartmentFactory(code="b", parent=root)

    spans = organisation_health().department_spans

    assert spans.target == (2, 3) and spans.outside == []
    assert [band["band"] for band in spans.bands if band["is_target"]] == ["2–3"]


def test_direct_reports_count_per_role(db):
    department = DepartmentFactory(code="ops")
    lead = RoleFactory(code="lead", department=department)
    for number in range(9):
        RoleFactory(code=f"member-{number}", department=department, reports_to=lead)
    deputy = RoleFactory(code="deputy", department=department, reports_to=lead)
    RoleFactory(code="assistant", department=department, reports_to=deputy)

    spans = organisation_health().role_spans

    assert spans.managers == 2
    assert band_counts(spans) == {"1": 1, "2–3": 0, "4–7": 0, "8–12": 1, "13+": 0}
    assert {item.code: item.value for item in spans.outside} == {"lead": 10, "deputy": 1}


def test_depth_counts_layers_from_the_company_and_names_the_deepest_branch(db):
    root = company_root()
    first = DepartmentFactory(code="l1", parent=root)
    second = DepartmentFactory(code="l2", parent=first)
    DepartmentFactory(code="l3", parent=second)
    DepartmentFactory(code="shallow", parent=root)

    health = organisation_health()

    assert health.depth == 4
    assert health.leaves_by_depth == [{"layers": 2, "leaves": 1}, {"layers": 4, "leaves": 1}]
    [deepest] = health.deepest
    assert deepest["leaf"].code == "l3"
    assert [item.code for item in deepest["path"]] == ["company", "l1", "l2", "l3"]


def test_archived_branches_are_not_measured(db):
    root = company_root()
    kept = DepartmentFactory(code="kept", parent=root)
    gone = DepartmentFactory(code="gone", parent=root)
    deep = DepartmentFactory(code="gone-child", parent=gone)
    RoleFactory(code="hidden", department=deep)
    department_archive(department=gone)
    RoleFactory(code="seen", department=kept, headcount=3)

    health = organisation_health()

    assert health.departments == 2 and health.depth == 2
    assert health.roles == 1 and health.seats == 3


def test_planned_seats_add_up_per_subtree(db):
    root = company_root()
    sales = DepartmentFactory(code="sales", parent=root)
    north = DepartmentFactory(code="north", parent=sales)
    RoleFactory(code="rep", department=north, headcount=4)
    RoleFactory(code="head", department=sales, headcount=1)
    RoleFactory(code="unknown", department=sales, headcount=None)
    planless = DepartmentFactory(code="planless", parent=root)
    RoleFactory(code="someone", department=planless, headcount=None)
    DepartmentFactory(code="empty", parent=root)

    health = organisation_health()
    subtrees = {entry["department"].code: entry for entry in health.subtrees}

    assert (subtrees["sales"]["seats"], subtrees["sales"]["roles"]) == (5, 3)
    assert subtrees["sales"]["roles_without_headcount"] == 1
    assert subtrees["company"]["seats"] == 5 == health.seats
    assert {item.code: item.detail for item in health.without_seats} == {
        "planless": "no-headcount",
        "empty": "no-roles",
    }
    assert [entry["department"].code for entry in health.branches] == [
        "sales",
        "planless",
        "empty",
    ]


def test_gaps_are_found(db):
    root = company_root()
    DepartmentFactory(code="empty", parent=root)
    team = DepartmentFactory(code="team", parent=root)
    lead = RoleFactory(code="lead", department=team)
    DutyFactory(role=lead)
    member = RoleFactory(code="member", department=team, reports_to=lead)
    DutyFactory(role=member)
    stray = RoleFactory(code="stray", department=team)
    DutyFactory(role=stray)
    RoleFactory(code="idle", department=team, reports_to=lead)
    alone = DepartmentFactory(code="alone", parent=root)
    solo = RoleFactory(code="solo", department=alone)
    DutyFactory(role=solo)

    health = organisation_health()

    assert codes(health.empty_departments) == ["empty"]
    assert codes(health.roles_without_duties) == ["idle"]
    # stray has no line although its department has a lead; solo's department has no lead.
    assert codes(health.roles_without_line) == ["stray"]
    assert health.roles_without_line[0].detail == "lead"


def test_similar_duties_of_different_roles_are_paired(db):
    first = RoleFactory(code="analyst")
    second = RoleFactory(code="reporter")
    same_role = RoleFactory(code="other")
    DutyFactory(role=first, text="监控活动数据(参与人数、分享率、转化率),迭代活动玩法")
    DutyFactory(role=second, text="监控活动数据(参与人数、转化率),迭代活动的玩法。")
    DutyFactory(role=first, text="对接税务机关,完成纳税申报")
    DutyFactory(role=same_role, text="处理退换货、退款申请")
    DutyFactory(role=same_role, text="处理退换货、退款申请,审核合规性")

    [pair] = organisation_health().overlaps

    assert {pair.first.code, pair.second.code} == {"analyst", "reporter"}
    assert pair.similarity >= 0.5
    assert "迭代活动玩法" in pair.first.detail["text_zh_hans"] + pair.second.detail["text_zh_hans"]


def test_text_is_compared_without_punctuation_width_or_case():
    assert normalise("SEO优化(ＣＴＲ), 提升!") == "seo优化ctr提升"
    assert bigrams("abc") == {"ab", "bc"}
    assert bigrams("a") == {"a"}


def test_duties_are_compared_when_they_share_a_telling_bigram():
    # 30 duties share 负责 and 工作, in more than 20 duties: those alone pair nothing.
    # Two also share 预算编制, which is rare; two more are the same text.
    texts = [
        f"负责{chr(0x4E00 + 3 * number)}{chr(0x4E01 + 3 * number)}工作" for number in range(30)
    ]
    texts[0], texts[1] = "负责预算编制工作", "负责预算编制的工作"
    texts[2] = texts[3] = "负责招聘"
    duties = [
        {"id": number, "role_id": number, "text_zh_hans": text} for number, text in enumerate(texts)
    ]
    role_rows = {number: {"id": number, "code": f"r{number}"} for number in range(30)}

    pairs = similar_duties(duties, role_rows)

    assert [(pair.first.code, pair.second.code, pair.similarity) for pair in pairs] == [
        ("r2", "r3", 1.0),
        ("r0", "r1", 0.667),
    ]


@pytest.mark.parametrize(
    ("text", "band"), [("4-7", (4, 7)), ("4–7", (4, 7)), ("13+", (13, None)), ("5", (5, 5))]
)
def test_bands_are_parsed(text, band):
    assert parse_band(text) == band


@pytest.mark.parametrize("text", ["", "7-4", "0-3", "four"])
def test_bad_bands_are_refused(text):
    with pytest.raises(ValueError, match="is not a band"):
        parse_band(text)
