"""The seed in every language: English pages show no Chinese but names marked as such, and the
traditional-Chinese interface shows the whole seed in traditional characters."""

import re

import opencc
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from departments.models import Department
from roles.models import Role
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Proper names that have no English form and may stand in English text. None so far: the
# seed's English names every platform in Latin letters (Douyin, Xiaohongshu, Weibo, ...).
PROPER_NAMES = frozenset()
# Phrases Taiwan writes with a character that, alone, converts to another: 上下游 (the guide's
# 整合上下游资源) keeps 游 of water, which s2tw on its own turns into 遊.
TAIWAN_PHRASES = ("上下游",)
# The page's text, attributes people read included, without the elements that say they are
# Chinese on purpose (the original name beside the English one, the language switch).
PAGE_TEXT = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('[lang]:not([lang="en"])').forEach((element) => element.remove());
    const attributes = [...body.querySelectorAll('[title], [placeholder], [aria-label], [alt]')]
        .flatMap((element) => ['title', 'placeholder', 'aria-label', 'alt']
            .map((name) => element.getAttribute(name) || ''));
    return [document.title, body.textContent, ...attributes].join('\\n');
}"""


def seed_pages():
    """Return every page of the seed: the chart both ways, each department and role, search,
    the structure guide and the health check."""
    pages = [reverse("chart:home"), reverse("chart:home") + "?view=outline"]
    pages += [department.get_absolute_url() for department in Department.objects.all()]
    pages += [role.get_absolute_url() for role in Role.objects.all()]
    search = reverse("search:results")
    pages += [f"{search}?q=budget", f"{search}?q=Xiaohongshu", f"{search}?q=SEO", search]
    pages += [reverse("guide:guide"), reverse("guide:insights"), f"{search}?q=matrix"]
    return pages


def open_in(logged_in, language):
    page = logged_in(DESKTOP)
    page.locator(f'.lang-switch button[value="{language}"]').click()
    expect(page.locator("html")).to_have_attribute(
        "lang", {"en": "en", "zh-hant": "zh-Hant"}[language]
    )
    return page


def test_every_english_page_of_the_seed_shows_no_chinese_but_marked_names(logged_in):
    page = open_in(logged_in, "en")
    problems = []
    for url in seed_pages():
        page.goto(url)
        text = page.evaluate(PAGE_TEXT)
        for name in PROPER_NAMES:
            text = text.replace(name, "")
        chinese = sorted(set(HAN.findall(text)))
        if chinese:
            lines = [line.strip() for line in text.splitlines() if HAN.search(line)]
            problems.append(f"{url}: {''.join(chinese)} in {lines[:3]}")
    assert problems == []
    # The original names stand beside the English ones, marked as simplified Chinese.
    page.goto(reverse("departments:detail", kwargs={"code": "finance"}))
    expect(page.locator('.hero__alt[lang="zh-Hans"]')).to_have_text("财务部")


def test_the_traditional_interface_shows_the_whole_seed_in_traditional_characters(logged_in):
    page = open_in(logged_in, "zh-hant")
    # Taiwan's standard characters, as the default variant (s2twp) writes them: plain s2t
    # would take Taiwan's 峰 and 群 for the variants 峯 and 羣.
    to_traditional = opencc.OpenCC("s2tw")
    problems = []
    for url in seed_pages():
        page.goto(url)
        text = page.evaluate(PAGE_TEXT)
        for phrase in TAIWAN_PHRASES:
            text = text.replace(phrase, "")
        simplified = sorted(
            {char for char in HAN.findall(text) if to_traditional.convert(char) != char}
        )
        if simplified:
            problems.append(f"{url}: {''.join(simplified)}")
    assert problems == []
    page.goto(reverse("departments:detail", kwargs={"code": "finance"}))
    expect(page.get_by_role("heading", level=1)).to_have_text("財務部")
