"""River's plainest text pipeline, ``BagOfWords | MultinomialNB``, as the baseline every model here
must beat on the same split (``hotline models eval --baseline``).

The one change from River's defaults is the tokenizer: River's word pattern makes a whole
Chinese clause one token (0.10 accuracy on the grouped UnionPay folds), so Chinese characters are
tokens of their own here (0.50); Latin words are River's (``\\b\\w[\\w\\-]+\\b``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from river import feature_extraction, naive_bayes

from online_models.text_normalization import HAN_CHARS

__all__ = ["RiverBaseline", "river_tokens"]

_TOKEN_RE = re.compile(rf"[{HAN_CHARS}]|\b\w[\w\-]+\b")


def river_tokens(text: str) -> list[str]:
    """River's word tokens, with each Chinese character a token.

    Examples
    --------
    >>> river_tokens("my card 被盗刷")
    ['my', 'card', '被', '盗', '刷']
    """
    return _TOKEN_RE.findall(text)


class RiverBaseline:
    """``feature_extraction.BagOfWords | naive_bayes.MultinomialNB`` behind our River-style verbs.

    Examples
    --------
    >>> model = RiverBaseline()
    >>> model.learn_many(["card stolen", "atm ate my card", "信用卡被盗"], ["theft", "atm", "theft"])
    >>> [label for label, _ in model.predict_many(["stolen card", "被盗", "atm"])]
    ['theft', 'theft', 'atm']
    """

    def __init__(self) -> None:
        self.pipeline = feature_extraction.BagOfWords(tokenizer=river_tokens) | naive_bayes.MultinomialNB()
        self.n_seen = 0
        self._classes: dict[str, None] = {}

    @property
    def classes(self) -> list[str]:
        return list(self._classes)

    def learn_one(self, x: str, y: str) -> None:
        self.pipeline.learn_one(x, y)  # type: ignore[arg-type]  # BagOfWords heads the pipeline: x is text
        self._classes.setdefault(y)
        self.n_seen += 1

    def learn_many(self, xs: Sequence[str], ys: Sequence[str]) -> None:
        for x, y in zip(xs, ys, strict=True):
            self.learn_one(x, y)

    def predict_many(self, xs: Sequence[str]) -> list[tuple[str | None, float]]:
        out: list[tuple[str | None, float]] = []
        for x in xs:
            proba = self.pipeline.predict_proba_one(x)  # type: ignore[arg-type]  # text, as in learn_one
            if not proba:
                out.append((None, 0.0))
                continue
            label = max(proba, key=proba.__getitem__)
            out.append((label, round(float(proba[label]), 6)))
        return out
