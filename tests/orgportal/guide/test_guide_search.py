"""Search finds the structure guide's headings and passages and leads to their anchors."""

from django.urls import reverse

from orgportal.guide.content import search_guide
from tests.orgportal.test_search import SEARCH_QUERIES_WITH_TEAMS, group, search


def guide_links(content):
    return [
        line.split('href="')[1].split('"')[0]
        for line in group(content, "guide").splitlines()
        if 'class="result__link"' in line
    ]


def test_matrix_mode_lands_on_the_guide(viewer_client, seed_org):
    content = search(viewer_client, q="矩阵型")

    links = guide_links(content)
    guide = reverse("guide:guide")
    assert f"{guide}#mode-matrix" in links
    assert f"{guide}#stage-growth" in links
    assert "<mark>矩阵型</mark>" in group(content, "guide")


def test_startup_and_the_data_platform_land_on_their_passages(viewer_client, seed_org):
    guide = reverse("guide:guide")

    assert guide_links(search(viewer_client, q="初创期")) == [f"{guide}#stage-startup"]
    assert guide_links(search(viewer_client, q="数据中台")) == [f"{guide}#technology-data-platform"]
    assert f"{guide}#technology-martech" in guide_links(search(viewer_client, q="MarTech"))


def test_english_words_find_the_passages_too(viewer_client, db):
    links = guide_links(search(viewer_client, q="middle platform"))

    assert links == [f"{reverse('guide:guide')}#technology-data-platform"]


def test_a_term_of_another_language_shows_that_text(db):
    [match] = search_guide(["矩陣型", "專業"], "en")

    assert match.anchor == "mode-matrix"
    assert match.text.startswith("3. Matrix structure")
    assert [language for _text, language in match.other_texts] == ["zh-hant"]


def test_every_term_must_be_found(db):
    assert search_guide(["矩阵型", "不存在的词语"]) == []


def test_a_search_within_a_department_leaves_the_guide_out(viewer_client, seed_org):
    assert group(search(viewer_client, q="运营", department="digital-operations"), "guide") == ""


def test_the_guide_costs_search_no_query(viewer_client, seed_org, django_assert_num_queries):
    # 运营 is in a team of the seed too: the teams and their members are two of the queries.
    with django_assert_num_queries(SEARCH_QUERIES_WITH_TEAMS):
        search(viewer_client, q="运营")
