"""The Aho-Corasick phrase matcher finds exactly what the earlier prefix-tree regex found.

``_RegexMatcher`` below is that regex implementation, kept as the oracle: same matches (start,
end, phrase) on the project's phrase lists over the real data sets' texts, and on random phrase
lists over random texts built to hit the edge cases (word boundaries, a longest phrase that fails
its boundary while a shorter one passes, overlaps, phrases of different kinds that start alike,
uppercase, non-ASCII letters and digits, astral characters, lone surrogates).
"""

from __future__ import annotations

import csv
import itertools
import pickle
import random
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from online_models import DEFAULT_RISK_PATTERNS, PhraseMatcher, load_taxonomy
from online_models.featurizers import normalize_text
from tests.datasets import dataset_csv

ROOT = Path(__file__).resolve().parents[2]


def _bounded_start(phrase: str) -> bool:
    return phrase[0].isascii() and phrase[0].isalnum()


def _bounded_end(phrase: str) -> bool:
    return phrase[-1].isascii() and phrase[-1].isalnum()


def _trie_regex(phrases: Iterable[str]) -> str:
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_regex(trie)


def _node_regex(node: dict[str, dict]) -> str:
    ends_here = "" in node
    branches = [re.escape(ch) + _node_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends_here else body


class _RegexMatcher:
    """The previous PhraseMatcher: one prefix-tree regex per kind of edges, with lookarounds."""

    def __init__(self, phrases: Iterable[str]) -> None:
        groups: dict[tuple[bool, bool], list[str]] = {}
        for phrase in dict.fromkeys(p for p in phrases if p):
            groups.setdefault((_bounded_start(phrase), _bounded_end(phrase)), []).append(phrase)
        parts = []
        for (start, end), members in sorted(groups.items()):
            part = f"(?:{_trie_regex(members)})"
            if start:
                part = f"(?<![a-z0-9]){part}"
            if end:
                part += "(?![a-z0-9])"
            parts.append(part)
        self._regex = re.compile("|".join(parts)) if parts else None

    def finditer(self, text: str) -> list[tuple[int, int, str]]:
        if self._regex is None:
            return []
        return [(m.start(), m.end(), m.group(0)) for m in self._regex.finditer(text)]


def _assert_same(phrases: list[str], texts: Iterable[str]) -> int:
    matcher, oracle = PhraseMatcher(phrases), _RegexMatcher(phrases)
    hits = 0
    for text in texts:
        expected = oracle.finditer(text)
        assert matcher.finditer(text) == expected, (phrases if len(phrases) < 30 else "", text)
        assert matcher.findall(text) == [phrase for _, _, phrase in expected]
        hits += len(expected)
    return hits


def _project_phrase_lists() -> dict[str, list[str]]:
    """The phrases KeywordRules and RiskScorer build their matchers from, normalised as they do."""
    taxonomy = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    lists = {
        f"keywords:{dimension}": list(
            dict.fromkeys(normalize_text(w).strip() for words in tags.values() for w in words)
        )
        for dimension, tags in taxonomy.keywords().items()
    }
    lists["risk"] = list(
        dict.fromkeys(normalize_text(p).strip() for pattern in DEFAULT_RISK_PATTERNS for p in pattern.phrases)
    )
    return lists


PROJECT_LISTS = _project_phrase_lists()


def _dataset_texts(name: str, limit: int) -> list[str]:
    path = dataset_csv(name)
    with path.open(newline="", encoding="utf-8") as f:
        return [normalize_text(row["text"]) for row in itertools.islice(csv.DictReader(f), limit)]


@pytest.mark.parametrize(
    ("dataset", "limit"), [("banking77", 20_000), ("unionpay95516", 20_000), ("cfpb_narratives", 400)]
)
def test_same_matches_as_the_regex_on_real_texts(dataset: str, limit: int) -> None:
    texts = _dataset_texts(dataset, limit)
    hits = sum(_assert_same(phrases, texts) for phrases in PROJECT_LISTS.values())
    assert hits > len(texts) // 10  # the lists do match these texts: the comparison means something


# Pieces of text chosen to sit on every kind of edge: ASCII word characters, uppercase (no word
# character for the boundary), non-ASCII letters and digits, CJK, punctuation, astral characters.
CHARS = [*"abcz09AZ", " ", " ", "-", "'", "!", "_", "\n", "é", "１", "信", "用", "卡", "热", "线", "😀"]
TRICKY_PHRASES = [
    "card",
    "cards",
    "credit card",
    "credit",
    "a",
    "ab",
    "abc",
    "b",
    "bc",
    "c a",
    "a-b",
    "can't",
    "!",
    "!!",
    "-a",
    "a-",
    "ATM",
    "Zb",
    "é",
    "éa",
    "aé",
    "１2",
    "信用卡",
    "信用",
    "信用card",
    "信a",
    "卡",
    "12378",
    "12378热线",
    "1237",
    "热线12378",
    "😀a",
    "a😀",
]


def _random_text(rng: random.Random, phrases: list[str]) -> str:
    pieces = [*CHARS, *phrases, *(p[: rng.randint(1, len(p))] for p in phrases)]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))


def test_same_matches_as_the_regex_on_random_phrase_lists_and_texts() -> None:
    rng = random.Random(20261127)
    for _ in range(400):
        phrases = rng.sample(TRICKY_PHRASES, rng.randint(1, 10))
        phrases += ["".join(rng.choices(CHARS, k=rng.randint(1, 3))) for _ in range(rng.randint(0, 4))]
        _assert_same(phrases, [_random_text(rng, phrases) for _ in range(40)])


def test_same_matches_as_the_regex_on_random_texts_with_the_project_lists() -> None:
    rng = random.Random(5)
    for phrases in PROJECT_LISTS.values():
        words = [*phrases, "the", "my", "is", "not", "卡片", "s", "ing", "un", "1"]
        texts = [
            "".join(rng.choice([*words, *CHARS, " ", " "]) for _ in range(rng.randint(0, 20)))
            for _ in range(1500)
        ]
        assert _assert_same(phrases, texts) > 1500


def test_lone_surrogates_in_the_text_or_a_phrase() -> None:
    texts = ["a\ud800 card", "\udfffcard\ud800", "信用卡\ud800卡", "card\ud800", "\ud800"]
    _assert_same(["card", "卡", "信用卡"], texts)
    _assert_same(["\ud800", "card", "d\ud800"], texts)


def test_examples_and_edges() -> None:
    matcher = PhraseMatcher(["card", "credit card", "信用卡", "atm", "12378热线", "12378"])
    assert matcher.finditer("😀my credit cards, atm!") == [(18, 21, "atm")]
    assert PhraseMatcher(["credit", "credit card"]).findall("credit cards") == ["credit"]
    assert matcher.findall("信用卡卡信用卡") == ["信用卡", "信用卡"]
    assert matcher.findall("12378热线 12378") == ["12378热线", "12378"]
    assert PhraseMatcher([]).findall("anything") == []
    assert PhraseMatcher(["", "x"]).findall("x") == ["x"]


def test_pickles_as_its_phrases() -> None:
    matcher = pickle.loads(pickle.dumps(PhraseMatcher(["card", "信用卡", "card"])))
    assert matcher.phrases == ("card", "信用卡")
    assert matcher.findall("card 信用卡") == ["card", "信用卡"]
