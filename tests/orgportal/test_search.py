"""Search: Chinese substring matches across departments, roles and duties, safely highlighted."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape

from departments.models import Department
from departments.services import department_archive
from roles.models import Duty, Role
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory, UserFactory

# Session, user (the page reads outside a transaction), the two permission lookups for the
# "show archived" switch, then one query per kind of result; the department filter, when
# given, is one more (its code or name looked up; no list of every department).
SEARCH_QUERIES = 4
# Departments, roles, duties and project teams (none of which holds 职责).
SEARCH_QUERIES_WITH_RESULTS = SEARCH_QUERIES + 4
# And the matching members of the teams found, when a team is found.
SEARCH_QUERIES_WITH_TEAMS = SEARCH_QUERIES_WITH_RESULTS + 1


def search(client, **params):
    response = client.get(reverse("search:results"), params)
    assert response.status_code == 200
    return response.content.decode()


def hits(content):
    """Return how many results ``content`` lists."""
    return content.count('<li class="result')


def group(content, kind):
    """Return the HTML of the result group ``kind`` (departments, roles or duties), or ''."""
    match = re.search(rf'<section [^>]*id="results-{kind}".*?</section>', content, re.S)
    return match.group(0) if match else ""


def test_search_needs_a_login(client, seed_org):
    response = client.get(reverse("search:results"), {"q": "SEO"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@override_settings(ORGPORTAL_PUBLIC_READ=True)
def test_search_is_open_anonymously_when_public_read_is_on(client, seed_org):
    assert "小红书" in search(client, q="小红书")


def test_xiaohongshu_finds_every_duty_that_mentions_it(viewer_client, seed_org):
    mentioning = [duty for duty in Duty.objects.select_related("role") if "小红书" in duty.text]

    content = search(viewer_client, q="小红书")

    duties = group(content, "duties")
    assert len(mentioning) == 5
    assert hits(duties) == len(mentioning)
    for duty in mentioning:
        assert f'href="{duty.role.get_absolute_url()}#duty-{duty.pk}"' in duties
    assert "<mark>小红书</mark>" in duties


def test_search_finds_a_chinese_substring_inside_department_texts(viewer_client, seed_org):
    content = search(viewer_client, q="渠道深耕")

    departments = group(content, "departments")
    assert reverse("departments:detail", kwargs={"code": "digital-operations"}) in departments
    assert "流量转化,<mark>渠道深耕</mark>" in departments


def test_search_matches_positioning(viewer_client, seed_org):
    departments = group(search(viewer_client, q="竞品动作"), "departments")

    assert reverse("departments:detail", kwargs={"code": "market-research-strategy"}) in (
        departments
    )
    assert "<mark>竞品动作</mark>" in departments


def test_search_finds_roles_by_title_and_english_title_ignoring_case(viewer_client, seed_org):
    by_title = group(search(viewer_client, q="优化师"), "roles")
    by_english = group(search(viewer_client, q="specialist"), "roles")

    seo_url = reverse("roles:detail", kwargs={"code": "seo-sem-specialist"})
    assert seo_url in by_title
    assert "SEO/SEM<mark>优化师</mark>" in by_title
    assert seo_url in by_english
    assert "SEO/SEM <mark>Specialist</mark>" in by_english


def test_search_finds_duties_by_area(viewer_client, seed_org):
    duties = group(search(viewer_client, q="SEM方向"), "duties")

    assert hits(duties) == 3
    assert '<span class="tag"><mark>SEM方向</mark></span>' in duties


def test_results_come_grouped_by_kind(viewer_client, seed_org):
    content = search(viewer_client, q="运营")

    positions = [content.index(f'id="results-{kind}"') for kind in ("departments", "roles")]
    positions.append(content.index('id="results-duties"'))
    assert positions == sorted(positions)


def test_user_text_is_escaped_before_the_match_is_marked(viewer_client, db):
    DutyFactory(text='<script>alert("x")</script> 负责<b>小红书</b>投放')

    content = search(viewer_client, q="小红书")

    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content
    assert "负责&lt;b&gt;<mark>小红书</mark>&lt;/b&gt;投放" in content


def test_a_query_with_markup_is_escaped_too(viewer_client, db):
    DutyFactory(text="对比 <b> 与 <i> 标签")

    content = search(viewer_client, q="<b>")

    assert "<mark>&lt;b&gt;</mark>" in content
    assert "<b>" not in group(content, "duties")


def test_department_filter_keeps_results_in_that_subtree(viewer_client, seed_org):
    digital = Department.objects.get(code="digital-operations")
    team = DepartmentFactory(code="social-team", parent=digital)
    DutyFactory(role=RoleFactory(department=team), text="小红书达人筛选")

    content = search(viewer_client, q="小红书", department="digital-operations")

    duties = group(content, "duties")
    subtree = Department.objects.descendants_of(digital, include_self=True)
    inside = Duty.objects.filter(text__contains="小红书", role__department__in=subtree)
    assert hits(duties) == inside.count() == 3
    assert "品牌与内容营销部" not in duties
    assert 'name="department" id="id_department" value="digital-operations"' in content


def test_unknown_department_in_the_filter_is_an_error_on_that_field(viewer_client, seed_org):
    content = search(viewer_client, q="小红书", department="nowhere")

    assert 'id="department-error"' in content
    assert 'id="results-duties"' not in content


def test_too_long_a_query_is_an_error_on_the_query_field(viewer_client, seed_org):
    content = search(viewer_client, q="小" * 101)

    assert 'id="q-error"' in content
    assert 'aria-invalid="true"' in content
    assert 'id="results-' not in content


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "搜索词最多 100 个字"), ("en", "Search terms are at most 100 characters long.")],
)
def test_too_long_a_query_gets_a_plain_message(viewer_client, seed_org, language, message):
    viewer_client.cookies["django_language"] = language
    content = search(viewer_client, q="小" * 101)
    error = re.search(r'<p class="form__error" id="q-error">(.*?)</p>', content).group(1)
    assert error == message


def duties_with_all(*words):
    return [d for d in Duty.objects.all() if all(word in d.text + d.area for word in words)]


@pytest.mark.parametrize(
    "query", ["抖音 小红书", "小红书 抖音", "小红书\u3000抖音", "  抖音   小红书 "]
)
def test_several_words_find_the_duties_that_contain_all_of_them(viewer_client, seed_org, query):
    expected = duties_with_all("抖音", "小红书")

    duties = group(search(viewer_client, q=query), "duties")

    assert len(expected) >= 2
    assert hits(duties) == len(expected)
    for duty in expected:
        assert f"#duty-{duty.pk}" in duties
    assert "<mark>抖音</mark>" in duties and "<mark>小红书</mark>" in duties


def test_words_may_match_in_different_fields(viewer_client, seed_org):
    # "SEO方向" is a duty's area, "算法" is in its text.
    duties = group(search(viewer_client, q="SEO方向 算法"), "duties")
    expected = [d for d in Duty.objects.filter(area="SEO方向") if "算法" in d.text]
    assert hits(duties) == len(expected) == 1
    assert "<mark>SEO方向</mark>" in duties


def test_a_word_that_no_item_contains_leaves_nothing(viewer_client, seed_org):
    content = search(viewer_client, q="小红书 不存在的词")
    assert 'id="results-' not in content
    assert "共 0 条结果" in content
    assert "没有同时包含这些词的内容" in content


@pytest.mark.parametrize("quotes", ['"{}"', "“{}”"])
def test_a_quoted_phrase_matches_as_typed(viewer_client, seed_org, quotes):
    DutyFactory(text="季度 复盘 报告")
    DutyFactory(text="复盘 季度 数据")

    phrase = group(search(viewer_client, q=quotes.format("季度 复盘")), "duties")
    words = group(search(viewer_client, q="季度 复盘"), "duties")

    assert hits(phrase) == 1 and "季度 复盘 报告" not in phrase  # marked, so split by <mark>
    assert "<mark>季度 复盘</mark> 报告" in phrase
    assert hits(words) == 2


def test_several_words_find_departments_and_roles_too(viewer_client, seed_org):
    content = search(viewer_client, q="运营 数字")
    assert reverse("departments:detail", kwargs={"code": "digital-operations"}) in group(
        content, "departments"
    )
    roles = group(search(viewer_client, q="Operations Social"), "roles")
    assert hits(roles) == 1 and "社交媒体运营" in roles


def test_search_leaves_out_archived_items_unless_hr_asks(client, seed_org, hr_editor):
    department_archive(department=Department.objects.get(code="brand-content-marketing"))
    client.force_login(hr_editor)

    default = group(search(client, q="小红书"), "duties")
    asking = group(search(client, q="小红书", archived="1"), "duties")

    assert "品牌与内容营销部" not in default
    assert hits(default) == 3
    assert hits(asking) == 5
    assert "badge--archived" in asking


def test_search_shows_at_most_a_hundred_results_per_kind_and_says_so(viewer_client, db):
    role = RoleFactory()
    for number in range(101):
        DutyFactory(role=role, text=f"重复职责{number}")

    content = search(viewer_client, q="重复职责")

    assert hits(group(content, "duties")) == 100
    assert 'class="result-more"' in content


def test_empty_search_shows_the_form_without_results(viewer_client, seed_org):
    content = search(viewer_client, q="")

    assert 'name="q"' in content
    assert 'id="results-' not in content


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_seed_duty_can_be_found_by_browsing_and_by_searching(
    language, client, viewer, seed_org
):
    client.force_login(viewer)
    client.cookies["django_language"] = language

    def page(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return response.content.decode()

    chart = page(reverse("chart:home"))
    department_urls = sorted(set(re.findall(r'href="(/departments/[\w-]+/)"', chart)))
    role_urls = set()
    for url in department_urls:
        role_urls.update(re.findall(r'href="(/roles/[\w-]+/)"', page(url)))
    browsed = "".join(page(url) for url in sorted(role_urls))

    duties = list(Duty.objects.select_related("role"))
    assert len(duties) == 60
    for duty in duties:
        assert escape(duty.text) in browsed, duty.text
        found = group(search(client, q=duty.text[:12]), "duties")
        assert f"{duty.role.get_absolute_url()}#duty-{duty.pk}" in found, duty.text


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, SEARCH_QUERIES),
        ({"q": "职责"}, SEARCH_QUERIES_WITH_RESULTS),
        ({"q": "职责", "department": "company"}, SEARCH_QUERIES_WITH_RESULTS + 1),
    ],
)
def test_search_runs_a_fixed_number_of_queries(
    org, params, expected, request, viewer_client, django_assert_num_queries
):
    request.getfixturevalue(org)

    with django_assert_num_queries(expected):
        response = viewer_client.get(reverse("search:results"), params)

    assert response.status_code == 200


def test_a_search_that_finds_a_team_reads_its_matching_members_in_one_more_query(
    seed_org, viewer_client, django_assert_num_queries
):
    # CPC is in a member's responsibility of the 618 team.
    with django_assert_num_queries(SEARCH_QUERIES_WITH_TEAMS):
        response = viewer_client.get(reverse("search:results"), {"q": "CPC"})

    teams = [group for group in response.context["groups"] if group.kind == "teams"]
    assert len(teams[0].hits) == 1
    assert any("CPC" in line for line in teams[0].hits[0].context)


@pytest.mark.parametrize("org", ["seed_org", "large_org"])
def test_archived_search_runs_a_fixed_number_of_queries(
    org, request, db, client, django_assert_num_queries
):
    request.getfixturevalue(org)
    department_archive(department=Department.objects.filter(level=1).last())
    Role.objects.filter(pk=Role.objects.first().pk).update(is_active=False)
    client.force_login(UserFactory(username="hr-archive", groups=["HR editors"]))

    with django_assert_num_queries(SEARCH_QUERIES_WITH_RESULTS):
        response = client.get(reverse("search:results"), {"q": "职责", "archived": "1"})

    assert response.status_code == 200


@pytest.mark.parametrize("query", ["budget", "预算", "預算"])
def test_budget_finds_the_budgeting_duties_in_every_language(viewer_client, seed_org, query):
    budgeting = set(
        Duty.objects.filter(role__code="budget-management-specialist").values_list(
            "text_zh_hans", flat=True
        )
    )

    duties = group(search(viewer_client, q=query), "duties")

    for text in budgeting:
        duty = Duty.objects.get(text_zh_hans=text)
        assert f"#duty-{duty.pk}" in duties, (query, text)


def test_english_search_highlights_the_english_text_shown(viewer_client, seed_org):
    viewer_client.cookies["django_language"] = "en"

    duties = group(search(viewer_client, q="budget"), "duties")

    assert re.search(r"<mark>[Bb]udget</mark>", duties)
    assert "预算" not in duties


def test_a_match_in_a_language_not_shown_is_shown_highlighted_with_its_language(
    viewer_client, seed_org
):
    viewer_client.cookies["django_language"] = "en"

    duties = group(search(viewer_client, q="預算"), "duties")

    assert re.search(r'<span class="result__other" lang="zh-Hant">[^<]*<mark>預算</mark>', duties)


def test_traditional_search_on_the_traditional_page_marks_the_traditional_text(
    viewer_client, seed_org
):
    viewer_client.cookies["django_language"] = "zh-hant"

    content = search(viewer_client, q="預算")

    assert "預算管理專員" in group(content, "roles") or "預算" in group(content, "duties")
    assert "<mark>預算</mark>" in group(content, "duties")
    assert "result__other" not in group(content, "duties")


def test_the_department_filter_takes_a_name_in_any_language(viewer_client, seed_org):
    by_code = search(viewer_client, q="小红书", department="digital-operations")
    for name in ("数字运营部", "Digital Operations", "數字運營部"):
        assert hits(search(viewer_client, q="小红书", department=name)) == hits(by_code) > 0


def test_the_search_page_lists_no_departments_but_offers_them_as_one_types(
    viewer_client, large_org, django_assert_num_queries
):
    content = search(viewer_client, q="职责")
    assert "<option" not in content
    assert 'data-typeahead="/search/departments/"' in content

    # Session, user, and the departments found (no transaction: a read).
    with django_assert_num_queries(3):
        found = viewer_client.get(reverse("search:departments"), {"q": "gen-1"}).json()

    codes = [department["code"] for department in found["departments"]]
    assert len(codes) == 20 and all("gen-1" in code for code in codes)
    assert codes == sorted(codes, key=lambda code: Department.objects.get(code=code).lft)


def test_the_typeahead_finds_names_in_every_language_and_hides_archived(viewer_client, seed_org):
    department_archive(department=Department.objects.get(code="finance"))
    url = reverse("search:departments")

    assert viewer_client.get(url, {"q": "Digital"}).json() == {
        "departments": [{"code": "digital-operations", "name": "数字运营部"}]
    }
    assert viewer_client.get(url, {"q": "财务"}).json() == {"departments": []}
    assert viewer_client.get(url, {"q": ""}).json() == {"departments": []}


def test_the_typeahead_needs_a_login(client, seed_org):
    assert client.get(reverse("search:departments"), {"q": "部"}).status_code == 302
