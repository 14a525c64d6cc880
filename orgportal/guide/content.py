"""The guide's text (data/guide.yaml): sections 一 and 三 of the seed, in every language.

The file holds the simplified Chinese source word for word and its English translation;
traditional Chinese is converted from the source with OpenCC when the file is first read, as
every automatic traditional text of the portal is. ``load_guide()`` reads and checks the file
once per process; ``guide_in(language)`` gives its texts in one language for a page.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from orgportal.guide.models import Mode, Stage
from orgportal.i18n import (
    CONTENT_LANGUAGES,
    SOURCE_LANGUAGE,
    TRADITIONAL_LANGUAGE,
    content_language,
    to_traditional,
)

GUIDE_FILE = Path(settings.BASE_DIR) / "data" / "guide.yaml"
# What a passage says, with its label (the seed's order varies; each passage keeps its place).
PASSAGE_KINDS = {
    "divides": _("How it divides the work"),
    "strengths": _("Strengths"),
    "weaknesses": _("Weaknesses"),
    "suits": _("Suits"),
    "examples": _("Examples"),
    "stage": _("Stage"),
    "technology": _("Technology"),
    "collaboration": _("Collaboration"),
}
MODES = tuple(Mode.values)
STAGES = tuple(Stage.values)


class GuideFileError(Exception):
    """data/guide.yaml is not a valid guide; the message names the place."""


@dataclass(frozen=True)
class Passage:
    """One passage of the guide: its anchor, what it says, and its text in the page's language.

    ``source`` is the simplified Chinese original; ``text`` is the same passage in the
    language it was asked for.
    """

    id: str
    kind: str
    text: str
    source: str
    stage: str = ""
    advised_mode: str = ""
    truncated: bool = False

    @property
    def kind_label(self):
        return PASSAGE_KINDS[self.kind]

    @property
    def advised_mode_label(self):
        return Mode(self.advised_mode).label if self.advised_mode else ""

    @property
    def stage_label(self):
        return Stage(self.stage).label if self.stage else ""


@dataclass(frozen=True)
class Block:
    """A numbered part of a section: a mode (一.1–3) or one piece of advice (三.1–3)."""

    id: str
    heading: str
    source_heading: str
    passages: tuple[Passage, ...]
    mode: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    source_heading: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def passages(self):
        return [passage for block in self.blocks for passage in block.passages]


@cache
def load_guide(path: Path = GUIDE_FILE) -> dict:
    """Read and check the guide file; return its sections with every language's texts."""
    with open(path, encoding="utf-8") as file:
        data = yaml.safe_load(file)
    checker = _Checker()
    sections = checker.sections(data)
    if checker.errors:
        raise GuideFileError(
            f"{path}: " + "; ".join(f"{place}: {message}" for place, message in checker.errors)
        )
    return {"sections": sections}


@cache
def _guide_in(language: str, variant: str) -> tuple[Section, ...]:
    return tuple(
        Section(
            id=section["id"],
            heading=_text(section, "heading", language),
            source_heading=section["heading"],
            blocks=tuple(
                Block(
                    id=block["id"],
                    heading=_text(block, "heading", language),
                    source_heading=block["heading"],
                    mode=block.get("mode", ""),
                    passages=tuple(
                        Passage(
                            id=passage["id"],
                            kind=passage["kind"],
                            text=_text(passage, "text", language),
                            source=passage["text"],
                            stage=passage.get("stage", ""),
                            advised_mode=passage.get("advised_mode", ""),
                            truncated=bool(passage.get("truncated", False)),
                        )
                        for passage in block["passages"]
                    ),
                )
                for block in section["blocks"]
            ),
        )
        for section in load_guide()["sections"]
    )


def guide_in(language: str | None = None) -> tuple[Section, ...]:
    """Return the guide's sections with their texts in ``language`` (the active one)."""
    return _guide_in(content_language(language), settings.ORGPORTAL_TRADITIONAL_VARIANT)


def _text(item, key, language):
    if language == TRADITIONAL_LANGUAGE:
        return to_traditional(item[key])
    if language != SOURCE_LANGUAGE and item.get(f"{key}_en"):
        return item[f"{key}_en"]
    return item[key]


class _Checker:
    """Check the guide file's shape, collecting every problem with its place."""

    def __init__(self):
        self.errors = []
        self.ids = set()

    def error(self, place, message):
        self.errors.append((place, message))

    def sections(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
            self.error("file", "must be a mapping with a list of sections")
            return []
        for index, section in enumerate(data["sections"]):
            place = f"sections[{index}]"
            if not self.item(section, place, ("heading",), "blocks"):
                continue
            for block_index, block in enumerate(section["blocks"]):
                block_place = f"{place}.blocks[{block_index}]"
                if not self.item(block, block_place, ("heading",), "passages"):
                    continue
                if block.get("mode", MODES[0]) not in MODES:
                    self.error(f"{block_place}.mode", f"must be one of {', '.join(MODES)}")
                for passage_index, passage in enumerate(block["passages"]):
                    passage_place = f"{block_place}.passages[{passage_index}]"
                    if not self.item(passage, passage_place, ("text",), None):
                        continue
                    if passage.get("kind") not in PASSAGE_KINDS:
                        self.error(
                            f"{passage_place}.kind", f"must be one of {', '.join(PASSAGE_KINDS)}"
                        )
                    if passage.get("stage", STAGES[0]) not in STAGES:
                        self.error(f"{passage_place}.stage", f"must be one of {', '.join(STAGES)}")
                    if passage.get("advised_mode", MODES[0]) not in MODES:
                        self.error(
                            f"{passage_place}.advised_mode", f"must be one of {', '.join(MODES)}"
                        )
        return data["sections"]

    def item(self, item, place, texts, children):
        """Check an item's id, texts and list of children; return whether to look inside."""
        if not isinstance(item, dict):
            self.error(place, "must be a mapping")
            return False
        anchor = item.get("id")
        if not isinstance(anchor, str) or not anchor:
            self.error(f"{place}.id", "is required")
        elif anchor in self.ids:
            self.error(f"{place}.id", f'duplicate id "{anchor}"')
        else:
            self.ids.add(anchor)
        for key in texts:
            for name in (key, f"{key}_en"):
                if not isinstance(item.get(name), str) or not item[name]:
                    self.error(f"{place}.{name}", "is required text")
        if children is not None and not isinstance(item.get(children), list):
            self.error(f"{place}.{children}", "must be a list")
            return False
        return True


@dataclass(frozen=True)
class GuideMatch:
    """A part of the guide that holds every term of a search: its anchor, its text in the
    page's language, where it stands (a heading), and texts of other languages that hold a
    term the shown text lacks (with their language)."""

    anchor: str
    text: str
    context: str
    other_texts: tuple[tuple[str, str], ...]


def search_guide(terms, language: str | None = None) -> list[GuideMatch]:
    """Return the headings and passages of the guide that contain every term, in any language.

    Like the search of departments, roles and duties: case-insensitive substrings, every
    language's text searched, the page's language shown.
    """
    language = content_language(language)
    languages = [language, *(other for other in CONTENT_LANGUAGES if other != language)]
    # The same guide in each language, part by part: (anchor, context, {language: text}).
    parts = defaultdict(dict)
    contexts = {}
    for other in languages:
        for section in guide_in(other):
            for block in section.blocks:
                parts[block.id][other] = block.heading
                contexts.setdefault(block.id, section.heading)
                for passage in block.passages:
                    parts[passage.id][other] = passage.text
                    contexts.setdefault(passage.id, block.heading)
    folded = [term.casefold() for term in terms]
    matches = []
    for anchor, texts in parts.items():
        if not all(any(term in text.casefold() for text in texts.values()) for term in folded):
            continue
        shown = texts[language]
        missing = [term for term in folded if term not in shown.casefold()]
        other_texts = tuple(
            (text, other)
            for other, text in texts.items()
            if other != language and any(term in text.casefold() for term in missing)
        )
        matches.append(GuideMatch(anchor, shown, contexts[anchor], other_texts))
    return matches
