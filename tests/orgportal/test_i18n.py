"""Three languages: complete catalogs, simplified Chinese by default, English and traditional
Chinese on request, for the interface and the content."""

import io
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation.reloader import translation_file_changed

from departments.models import Department
from tests.factories import DepartmentFactory

CATALOGS = Path(settings.BASE_DIR) / "locale"
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sd]|\{\w+\}")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """Compile the catalogs as `make test` does, so this module also runs on its own."""
    call_command("compile_catalogs", stdout=io.StringIO())
    # Drop the translations Django may have loaded before the .mo files existed.
    translation_file_changed(sender=None, file_path=Path("django.mo"))


def catalog(language):
    return polib.pofile(str(CATALOGS / language / "LC_MESSAGES" / "django.po"))


def test_chinese_catalog_translates_every_string():
    zh = catalog("zh_Hans")

    assert len(zh) > 100
    assert [entry.msgid for entry in zh.untranslated_entries()] == []
    assert [entry.msgid for entry in zh.fuzzy_entries()] == []
    assert zh.metadata["Plural-Forms"].startswith("nplurals=1;")


# s2tw writes 遊標 for the cursor, which Taiwan writes 游標 (the API's change feed).
TAIWAN_TERMS = ["游標"]


def test_traditional_catalog_translates_every_string_in_traditional_characters():
    import opencc

    hant = catalog("zh_Hant")
    to_traditional = opencc.OpenCC("s2tw")

    assert [entry.msgid for entry in hant.untranslated_entries()] == []
    assert [entry.msgid for entry in hant.fuzzy_entries()] == []
    for entry in hant:
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            # Taiwan's own words that s2tw writes otherwise (scripts/traditional_catalog.py).
            for term in TAIWAN_TERMS:
                text = text.replace(term, "")
            assert to_traditional.convert(text) == text, text


def test_catalogs_list_the_same_strings():
    msgids = {e.msgid for e in catalog("zh_Hans")}
    assert msgids == {e.msgid for e in catalog("en")} == {e.msgid for e in catalog("zh_Hant")}


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_translations_keep_every_placeholder(language):
    for entry in catalog(language):
        translated = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        expected = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            # Chinese has one form; it may use either English form's placeholders.
            expected &= set(PLACEHOLDER.findall(entry.msgid_plural))
        assert expected <= set(PLACEHOLDER.findall(translated)), entry.msgid


def test_compiled_catalogs_are_not_committed():
    assert "*.mo" in (Path(settings.BASE_DIR) / ".gitignore").read_text().split()


def test_pages_are_in_chinese_by_default(client, viewer, seed_org):
    client.force_login(viewer)

    content = client.get(reverse("chart:home")).content.decode()

    assert '<html lang="zh-Hans">' in content
    assert "组织门户" in content
    assert "全部展开" in content
    assert ">数字运营部</a>" in content


def test_english_ui_shows_english_department_names(client, viewer, seed_org):
    client.force_login(viewer)

    content = client.get(reverse("chart:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in content
    assert "Organisation portal" in content
    assert ">Digital Operations</a>" in content
    assert ">数字运营部</a>" not in content


def test_english_ui_falls_back_to_the_chinese_name(client, viewer, seed_org):
    DepartmentFactory(code="no-english", name="无英文名部门", name_en="", tagline="")
    client.force_login(viewer)

    content = client.get(reverse("chart:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert ">无英文名部门</a>" in content


def test_language_switch_changes_the_language_and_returns_to_the_page(client, viewer, seed_org):
    client.force_login(viewer)
    page = reverse("departments:detail", kwargs={"code": "digital-operations"})

    response = client.post(reverse("set_language"), {"language": "en", "next": page})
    content = client.get(page).content.decode()

    assert response.status_code == 302
    assert response["Location"] == page
    assert '<h1 class="hero__title">Digital Operations</h1>' in content
    assert 'lang="zh-Hans">数字运营部</p>' in content


def test_language_switch_marks_the_current_language(client, viewer, seed_org):
    client.force_login(viewer)

    content = client.get(reverse("chart:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert re.search(r'value="en" lang="en" aria-pressed="true"', content)
    assert re.search(r'value="zh-hans" lang="zh-Hans" aria-pressed="false"', content)
    assert re.search(r'value="zh-hant" lang="zh-Hant" aria-pressed="false"', content)


def test_the_switch_offers_three_languages_told_apart_on_narrow_screens(client, viewer, seed_org):
    client.force_login(viewer)

    content = client.get(reverse("chart:home")).content.decode()

    assert re.findall(r'<span class="lang-switch__long">([^<]+)</span>', content) == [
        "简体中文",
        "English",
        "繁體中文",
    ]
    assert re.findall(r'<span class="lang-switch__short"[^>]*>([^<]+)</span>', content) == [
        "简",
        "EN",
        "繁",
    ]


def test_traditional_ui_shows_content_in_traditional_characters(client, viewer, seed_org):
    client.force_login(viewer)
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})

    content = client.get(reverse("departments:detail", kwargs={"code": "finance"})).content.decode()

    assert '<html lang="zh-Hant">' in content
    assert '<h1 class="hero__title">財務部</h1>' in content
    assert "預算管控,合規保障" in content
    assert "組織門戶" in content


def test_model_names_are_translated(seed_org):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(Department._meta.verbose_name) == "部门"
        assert str(Department._meta.get_field("positioning").verbose_name) == "部门定位"
