"""The guide page: the seed's sections 一 and 三 word for word, translated, with the profile."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from orgportal.guide.content import GuideFileError, guide_in, load_guide
from orgportal.guide.models import OrganisationProfile
from tests.factories import DepartmentFactory, company_root

SEED = Path(settings.BASE_DIR).parent / "shared" / "seed" / "000_bd67c621608fd183.zh-hans.txt"
# Sections 一 and 三 of the cleaned seed, one a line, copied beside this test so that it runs
# on a checkout without the shared seed folder; the first test checks the copy against it.
SEED_COPY = Path(__file__).parent / "seed_sections.txt"


def sections_of(seed_text):
    """Return sections 一 and 三 of the cleaned seed's text."""
    one = seed_text[
        seed_text.index("一、互联网营销企业组织架构的常见模式") : seed_text.index("二、核心部门")
    ]
    three_start = seed_text.index("三、组织架构优化建议")
    return [one, seed_text[three_start : seed_text.index("\n", three_start)]]


def seed_sections():
    """Return the text of sections 一 and 三 of the cleaned seed, one after the other."""
    return "".join(SEED_COPY.read_text(encoding="utf-8").splitlines())


class SeedTextParser(HTMLParser):
    """Collect the text of the elements marked data-seed, in page order."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif "data-seed" in dict(attrs):
            self.depth = 1
            self.parts.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts[-1] += data


def seed_text_of(html):
    parser = SeedTextParser()
    parser.feed(html)
    return parser.parts


def get_guide(client, language="zh-hans"):
    response = client.get(reverse("guide:guide"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_seed_copy_in_the_tests_is_the_cleaned_seed():
    if not SEED.exists():
        pytest.skip("the shared seed folder is not beside this checkout")
    seed = sections_of(SEED.read_text(encoding="utf-8"))

    assert SEED_COPY.read_text(encoding="utf-8").splitlines() == seed


def test_the_guide_file_holds_sections_one_and_three_word_for_word():
    modes, advice = guide_in("zh-hans")
    texts = []
    for section in (modes, advice):
        texts.append(section.heading)
        for block in section.blocks:
            texts.append(block.heading)
            texts.extend(passage.text for passage in block.passages)

    assert "".join(texts) == seed_sections()


def test_the_guide_page_shows_the_seed_text_word_for_word(viewer_client, db):
    parts = seed_text_of(get_guide(viewer_client))

    assert "".join(parts) == seed_sections()
    # Three modes, three stages, the technology and the collaboration advice.
    assert "3.矩阵型架构:双线管理,平衡效率与专业" in parts
    assert any(part.startswith("成长期:过渡到“矩阵型”") for part in parts)
    assert any(part.startswith("搭建数据中台") for part in parts)
    assert parts[-1].endswith("明确项目Owner与各角色权")


def test_every_passage_has_its_own_anchor(viewer_client, db):
    html = get_guide(viewer_client)
    for section in guide_in("zh-hans"):
        assert f'id="{section.id}"' in html
        for block in section.blocks:
            assert f'id="{block.id}"' in html
            for passage in block.passages:
                assert html.count(f'id="{passage.id}"') == 1


def test_the_english_page_shows_the_translation(viewer_client, db):
    html = get_guide(viewer_client, "en")
    parts = seed_text_of(html)

    assert "3. Matrix structure: dual-line management, balancing efficiency and specialism" in parts
    assert any("data middle platform" in part for part in parts)
    assert not any("矩阵型" in part for part in parts)
    assert "Structure modes and advice" in html


def test_the_traditional_page_is_converted_from_the_source(viewer_client, db):
    parts = seed_text_of(get_guide(viewer_client, "zh-hant"))

    assert any(part.startswith("成長期:過渡到“矩陣型”") for part in parts)
    assert "矩阵型" not in "".join(parts)


def test_the_page_highlights_the_company_mode_and_stage(viewer_client, db):
    OrganisationProfile(mode="functional", stage="startup").save()
    html = get_guide(viewer_client)

    assert 'class="guide-mode is-current" id="mode-functional"' in html
    assert 'class="guide-mode" id="mode-matrix"' in html
    assert 'guide-passage--stage is-current" id="stage-startup"' in html
    assert 'data-profile="mode"><a href="#mode-functional">职能型</a>' in html
    assert 'data-profile="stage"><a href="#stage-startup">初创期</a>' in html


def test_an_unset_profile_says_so(viewer_client, db):
    html = get_guide(viewer_client)

    assert 'data-profile="stage">尚未确定' in html
    assert "is-current" not in html


def test_the_guide_needs_a_login(client, db):
    response = client.get(reverse("guide:guide"))

    assert response.status_code == 302


def test_the_guide_runs_a_fixed_number_of_queries(
    viewer_client, large_org, django_assert_num_queries
):
    # The same whatever the organisation's size (see GUIDE_QUERIES).
    with django_assert_num_queries(GUIDE_QUERIES):
        get_guide(viewer_client)


def test_a_broken_guide_file_names_the_place(tmp_path):
    broken = tmp_path / "guide.yaml"
    broken.write_text(
        "sections:\n- id: modes\n  heading: 一\n  heading_en: One\n  blocks:\n"
        "  - id: modes\n    heading: 1\n    heading_en: '1'\n    passages:\n"
        "    - id: p\n      kind: nonsense\n      text: x\n",
        encoding="utf-8",
    )

    with pytest.raises(GuideFileError) as raised:
        load_guide(broken)

    message = str(raised.value)
    assert 'sections[0].blocks[0].id: duplicate id "modes"' in message
    assert "sections[0].blocks[0].passages[0].kind: must be one of" in message
    assert "sections[0].blocks[0].passages[0].text_en: is required text" in message


# Session, user (the page reads outside a transaction), the profile, the two permission lookups
# for the edit links, and the health check's departments, roles and duties (with project teams
# and their members when that app is installed) for the findings, and the organisation version
# that keys the cached health check.
GUIDE_QUERIES = 9 + 2 * apps.is_installed("teams")


def findings_of(html):
    """Return the codes of the findings the page states."""
    return re.findall(r'data-finding="([\w-]+)"', html)


def test_a_startup_deeper_than_two_levels_is_told_with_its_figures(client, db, hr_editor):
    OrganisationProfile(mode="functional", stage="startup").save()
    root = company_root()
    sales = DepartmentFactory(code="sales", parent=root)
    north = DepartmentFactory(code="north", parent=sales)
    city = DepartmentFactory(code="city", parent=north)
    client.force_login(hr_editor)

    html = get_guide(client)

    assert findings_of(html) == ["startup-too-deep"]
    assert "4 层" in html and "2 个部门超过第 2 层" in html
    assert "公司 › 部门" in html and f"› {city.name}" in html
    assert f'href="{city.get_absolute_url()}"' in html
    assert reverse("admin:departments_department_change", args=[city.pk]) in html


def test_a_flat_startup_departs_from_nothing(viewer_client, db):
    OrganisationProfile(mode="functional", stage="startup").save()
    DepartmentFactory(code="sales", parent=company_root())

    assert findings_of(get_guide(viewer_client)) == ["none"]


def test_a_mode_other_than_the_advised_one_is_told(viewer_client, db):
    OrganisationProfile(mode="functional", stage="growth").save()
    company_root()

    html = get_guide(viewer_client)

    assert "mode-for-stage" in findings_of(html)
    assert "成长期阶段,指南建议采用矩阵型;本公司记录的是职能型。" in html
