"""Keyword rules: the tagger's answer before a model has seen enough labels.

A new taxonomy dimension starts with no labelled data, but the people who define it can name
the words that signal each tag ("盗刷", "stolen", ...). Matching is on NFKC-lowercased text;
Latin keywords match whole words only, CJK keywords match anywhere (Chinese has no spaces).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from online_models.featurizers import normalize_text
from online_models.phrase_matcher import PhraseMatcher

__all__ = ["KeywordRules"]


class KeywordRules:
    """Tag a text by the keywords it contains, for one taxonomy dimension.

    Parameters
    ----------
    keywords
        ``{tag: [keyword, ...]}``. A keyword listed under several tags counts for the first.
    confidence
        Confidence reported for an unambiguous match; shared matches get a proportional share.

    Examples
    --------
    >>> rules = KeywordRules({"card_theft": ["stolen", "盗刷"], "atm": ["ATM", "取款机"]})
    >>> rules.match_one("Someone STOLEN my card at the atm, and it was stolen again")
    ('card_theft', 0.4)
    >>> rules.match_one("我的卡被盗刷了")
    ('card_theft', 0.6)
    >>> rules.match_one("unstolen goods") is None
    True
    """

    def __init__(self, keywords: Mapping[str, Sequence[str]], confidence: float = 0.6) -> None:
        if not 0.0 < confidence <= 1.0:
            raise ValueError("confidence must be in (0, 1]")
        self.keywords = {tag: list(words) for tag, words in keywords.items()}
        self.confidence = confidence
        self._tag_of: dict[str, str] = {}
        for tag, words in self.keywords.items():
            if isinstance(words, str):
                raise TypeError(f"keywords of tag {tag!r} must be a list of strings, not a string")
            for word in words:
                norm = normalize_text(word).strip()
                if norm:
                    self._tag_of.setdefault(norm, tag)
        self._order = {tag: i for i, tag in enumerate(self.keywords)}
        self._matcher = PhraseMatcher(self._tag_of)

    def match_one(self, text: str) -> tuple[str, float] | None:
        """``(tag, confidence)`` of the tag with most keyword hits, or None without a hit."""
        return self.match_normalized(normalize_text(text))

    def match_normalized(self, normalized: str) -> tuple[str, float] | None:
        """``match_one`` for text already through ``normalize_text`` (a tagger normalises each
        text once for all its dimensions' rules)."""
        hits: dict[str, int] = {}
        for found in self._matcher.findall(normalized):
            tag = self._tag_of[found]
            hits[tag] = hits.get(tag, 0) + 1
        if not hits:
            return None
        best = max(hits, key=lambda t: (hits[t], -self._order[t]))
        return best, round(self.confidence * hits[best] / sum(hits.values()), 6)

    def __getstate__(self) -> dict[str, object]:
        return {"keywords": self.keywords, "confidence": self.confidence}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild the compiled matcher rather than pickling it."""
        KeywordRules.__init__(self, state["keywords"], state["confidence"])
