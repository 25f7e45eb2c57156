"""Remembered labels of exact texts: a reviewer's correction holds for that text at once.

A statistical model moves only a little with one more label, so a corrected text can keep its old
tag until several corrections pile up. People expect the correction to stick: the same text (a
template complaint, a re-submitted form, the complaint they just corrected) should get the tag they
gave it. The memory maps a digest of the normalised text to its latest label, bounded by evicting
the least recently labelled text, so it costs a few MB however long the stream runs.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

from online_models.featurizers import normalize_text

__all__ = ["LabelMemory", "text_key"]

#: Digest bytes per text: 2**-64 collision odds per pair are negligible at a few million texts.
_DIGEST_BYTES = 8


def text_key(text: str) -> bytes:
    """Digest of the NFKC-lowercased text with runs of whitespace collapsed.

    Examples
    --------
    >>> text_key("My card  was STOLEN") == text_key(" my card was stolen ")
    True
    """
    canonical = " ".join(normalize_text(text).split())
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=_DIGEST_BYTES).digest()


class LabelMemory:
    """The latest label of up to ``capacity`` exact texts.

    Examples
    --------
    >>> memory = LabelMemory(capacity=2)
    >>> memory.remember(["card stolen", "atm ate my card"], ["theft", "atm"])
    >>> memory.remember(["Card  stolen"], ["fraud"])  # a correction: the latest label wins
    >>> memory.recall_many(["card stolen", "atm ate my card", "hello"])
    ['fraud', 'atm', None]
    >>> memory.remember(["new text"], ["other"])  # over capacity: the oldest label goes
    >>> memory.recall_many(["atm ate my card"]), len(memory)
    ([None], 2)
    """

    def __init__(self, capacity: int = 20_000) -> None:
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        self.capacity = capacity
        self._labels: OrderedDict[bytes, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._labels)

    def remember(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        if len(texts) != len(labels):
            raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
        if self.capacity == 0:
            return
        for text, label in zip(texts, labels, strict=True):
            key = text_key(text)
            self._labels[key] = label
            self._labels.move_to_end(key)
        while len(self._labels) > self.capacity:
            self._labels.popitem(last=False)

    def recall_keys(self, keys: Sequence[bytes]) -> list[str | None]:
        """Labels for precomputed ``text_key``s (a tagger computes them once for every dimension)."""
        return [self._labels.get(key) for key in keys]

    def recall_many(self, texts: Sequence[str]) -> list[str | None]:
        return self.recall_keys([text_key(t) for t in texts])
