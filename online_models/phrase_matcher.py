"""Find listed phrases in normalised text quickly: Latin phrases as whole words, CJK ones anywhere.

A plain alternation of a few hundred phrases (each with its own word-boundary lookarounds) makes
Python's regex engine try every phrase at every position: ~3,000 texts/s. Factoring the phrases
into a prefix tree, one per kind of boundary, lets the engine drop a position after a character
or two, which is what keeps keyword rules and risk scoring far above the pipeline's rate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = ["PhraseMatcher"]

_WORD_CHAR = "a-z0-9"


def _bounded_start(phrase: str) -> bool:
    return phrase[0].isascii() and phrase[0].isalnum()


def _bounded_end(phrase: str) -> bool:
    return phrase[-1].isascii() and phrase[-1].isalnum()


def _trie_regex(phrases: Iterable[str]) -> str:
    """A regex matching exactly ``phrases``, longest first at each branch, factored by prefix."""
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
    if ends_here:  # a shorter phrase ends here: the rest is optional (greedy: longest wins)
        return f"(?:{body})?"
    return body


class PhraseMatcher:
    """Non-overlapping matches of ``phrases`` in already-normalised text, left to right.

    At one position the longest phrase wins among phrases with the same kind of boundaries
    (Latin or CJK at each end); phrases of different kinds that start alike are tried in a fixed
    order, which only matters for odd lists such as both "12378" and "12378热线".

    Examples
    --------
    >>> matcher = PhraseMatcher(["card", "credit card", "信用卡", "atm", "12378热线"])
    >>> [m.group(0) for m in matcher.finditer("my credit card and 信用卡 at the atm; cards, atms")]
    ['credit card', '信用卡', 'atm']
    >>> [m.group(0) for m in matcher.finditer("拨打12378热线")]
    ['12378热线']
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        groups: dict[tuple[bool, bool], list[str]] = {}
        for phrase in dict.fromkeys(p for p in phrases if p):
            groups.setdefault((_bounded_start(phrase), _bounded_end(phrase)), []).append(phrase)
        parts = []
        for (start, end), members in sorted(groups.items()):
            part = f"(?:{_trie_regex(members)})"
            if start:
                part = f"(?<![{_WORD_CHAR}]){part}"
            if end:
                part += f"(?![{_WORD_CHAR}])"
            parts.append(part)
        self._regex = re.compile("|".join(parts)) if parts else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self._regex is None:
            return iter(())
        return self._regex.finditer(text)

    def findall(self, text: str) -> list[str]:
        return [m.group(0) for m in self.finditer(text)]
