"""Fill the traditional Chinese catalog from the simplified one: OpenCC, then Taiwan terms.

    .venv/bin/python scripts/traditional_catalog.py          # only entries without a text
    .venv/bin/python scripts/traditional_catalog.py --all    # convert every entry again

Run it after `make messages` and translating the new strings in locale/zh_Hans; then read what
it wrote (git diff locale/zh_Hant) and correct it by hand where Taiwan says it differently.
REVIEW lists the corrections made so far, so that they stay made.
"""

import argparse
from pathlib import Path

import opencc
import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"
REVIEW = [
    # A department's or role's code is an identifier, not program code.
    ("程式碼", "代碼"),
    # Taiwan says 職位 for a position in an organisation.
    ("崗位", "職位"),
    # 汇报对象 is whom one reports to, not a software object.
    ("彙報物件", "匯報對象"),
    # Terms OpenCC leaves in mainland usage, or renders awkwardly.
    ("許可權", "權限"),
    ("響應", "回應"),
    ("歸檔", "封存"),
    ("獲取", "取得"),
    ("發送", "傳送"),
    ("校驗", "驗證"),
    ("計劃", "計畫"),
    ("文本", "文字"),
    ("遊標", "游標"),
]


def to_taiwan(converter, text):
    text = converter.convert(text)
    for mainland, taiwan in REVIEW:
        text = text.replace(mainland, taiwan)
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="convert translated entries again")
    every = parser.parse_args().all
    converter = opencc.OpenCC("s2twp")
    simplified = polib.pofile(str(LOCALE / "zh_Hans/LC_MESSAGES/django.po"))
    sources = {(entry.msgctxt, entry.msgid): entry for entry in simplified}
    path = LOCALE / "zh_Hant/LC_MESSAGES/django.po"
    traditional = polib.pofile(str(path))
    filled = 0
    for entry in traditional:
        if not every and entry.translated() and "fuzzy" not in entry.flags:
            continue
        source = sources[(entry.msgctxt, entry.msgid)]
        entry.msgstr = to_taiwan(converter, source.msgstr)
        if source.msgstr_plural:
            entry.msgstr_plural = {
                key: to_taiwan(converter, value) for key, value in source.msgstr_plural.items()
            }
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgctxt = None
        filled += 1
    traditional.save()
    print(f"Converted {filled} entries into {path}.")


if __name__ == "__main__":
    main()
