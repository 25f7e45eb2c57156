"""The prefix-tree phrase matcher finds what a plain alternation with word boundaries finds."""

from __future__ import annotations

import random
import re

from online_models import PhraseMatcher

WORDS = [
    "card",
    "cards",
    "credit card",
    "atm",
    "pin",
    "fee",
    "fees",
    "信用卡",
    "卡",
    "手续费",
    "12378",
    "房贷",
]
FILLER = ["my", "the", "is", "卡片", "a", "cardboard", "feel", "信用", "!", " ", "1237", "房"]


def _reference(phrases: list[str]) -> re.Pattern[str]:
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        part = re.escape(phrase)
        if phrase[0].isascii() and phrase[0].isalnum():
            part = r"(?<![a-z0-9])" + part
        if phrase[-1].isascii() and phrase[-1].isalnum():
            part += r"(?![a-z0-9])"
        parts.append(part)
    return re.compile("|".join(parts))


def test_same_matches_as_a_plain_alternation_on_random_texts() -> None:
    rng = random.Random(7)
    matcher, reference = PhraseMatcher(WORDS), _reference(WORDS)
    for _ in range(2000):
        text = "".join(rng.choice([*WORDS, *FILLER, " "]) for _ in range(rng.randint(0, 12)))
        assert matcher.findall(text) == reference.findall(text), text


def test_empty_phrase_list_matches_nothing() -> None:
    assert PhraseMatcher([]).findall("anything") == []
