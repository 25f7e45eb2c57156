"""Tag complaints along several taxonomy dimensions, one incremental classifier per dimension,
with keyword rules covering each dimension until its model has learned enough to take over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import scipy.sparse as sp

from online_models.featurizers import HashedNgrams
from online_models.keyword_rules import KeywordRules
from online_models.text_classifier_base import TextClassifierBase

__all__ = ["TagResult", "Tagger", "TextClassifier"]


@runtime_checkable
class TextClassifier(Protocol):
    """What the tagger needs from a per-dimension model (River-style verbs)."""

    n_seen: int

    @property
    def classes(self) -> list[str]: ...

    def learn_one(self, x: str, y: str) -> None: ...

    def learn_many(self, xs: Sequence[str], ys: Sequence[str]) -> None: ...

    def predict_many(self, xs: Sequence[str]) -> list[tuple[str | None, float]]: ...


@dataclass(frozen=True, slots=True)
class TagResult:
    """One dimension's tag for one text, and who decided it."""

    dimension: str
    tag: str
    confidence: float
    source: Literal["rules", "model"]
    model_version: str


class Tagger:
    """One classifier per taxonomy dimension plus cold-start keyword rules.

    For each dimension and text: once the model has seen ``min_seen`` labels and is at least
    ``min_confidence`` sure, the model decides; otherwise a keyword hit decides
    (``source="rules"``); otherwise a warm model's unsure guess is still returned (its confidence
    says how unsure), and a cold model with no keyword hit gives no tag for that dimension.

    Parameters
    ----------
    dimensions
        ``{dimension: classifier}``; the tagger owns and trains these.
    keywords
        ``{dimension: {tag: [keyword, ...]}}`` for cold start; dimensions may be left out.
    min_confidence
        Below this model confidence a keyword hit wins over the model.
    min_seen
        Labels a dimension's model must have learned before it is trusted at all.
    rule_confidence
        Confidence reported for an unambiguous keyword hit.
    name
        Prefix of ``version``.

    Examples
    --------
    >>> from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
    >>> tagger = Tagger(
    ...     {"product": NaiveBayesTextClassifier(HashedNgrams(n_bits=16))},
    ...     keywords={"product": {"credit_card": ["credit card", "信用卡"]}},
    ...     min_seen=2,
    ... )
    >>> tagger.predict_many(["信用卡被盗刷", "hello"])
    [[TagResult(dimension='product', tag='credit_card', confidence=0.6, source='rules', \
model_version='tagger-0')], []]
    >>> tagger.learn_one("my mortgage rate went up", "product", "mortgage")
    >>> tagger.learn_one("mortgage payment missed", "product", "mortgage")
    >>> [(r.tag, r.source) for r in tagger.predict_many(["mortgage rate"])[0]]
    [('mortgage', 'model')]
    >>> tagger.version
    'tagger-2'
    """

    def __init__(
        self,
        dimensions: Mapping[str, TextClassifier],
        keywords: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        min_confidence: float = 0.5,
        min_seen: int = 50,
        rule_confidence: float = 0.6,
        name: str = "tagger",
    ) -> None:
        if not dimensions:
            raise ValueError("a tagger needs at least one dimension")
        unknown = set(keywords or {}) - set(dimensions)
        if unknown:
            raise ValueError(f"keywords for unknown dimensions: {sorted(unknown)}")
        self.dimensions = dict(dimensions)
        self.keywords = {dim: dict(tags) for dim, tags in (keywords or {}).items()}
        self.min_confidence = min_confidence
        self.min_seen = min_seen
        self.rule_confidence = rule_confidence
        self.name = name
        self._rules = {dim: KeywordRules(tags, rule_confidence) for dim, tags in self.keywords.items()}
        self.n_updates = 0

    @property
    def version(self) -> str:
        """Changes whenever the tagger learns: ``f"{name}-{n_updates}"``."""
        return f"{self.name}-{self.n_updates}"

    def _model(self, dimension: str) -> TextClassifier:
        try:
            return self.dimensions[dimension]
        except KeyError:
            raise KeyError(f"unknown dimension {dimension!r}; known: {sorted(self.dimensions)}") from None

    def learn_one(self, text: str, dimension: str, tag: str) -> None:
        """Learn one label (e.g. a reviewer's correction) for one dimension."""
        self._model(dimension).learn_one(text, tag)
        self.n_updates += 1

    def learn_many(self, texts: Sequence[str], dimension: str, tags: Sequence[str]) -> None:
        """Learn a micro-batch of labels for one dimension, each once, in order."""
        texts = list(texts)
        self._model(dimension).learn_many(texts, list(tags))
        self.n_updates += len(texts)

    def predict_one(self, text: str) -> list[TagResult]:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[list[TagResult]]:
        """Tags of every dimension for each text (a dimension may have no tag for a text)."""
        texts = list(texts)
        version = self.version
        results: list[list[TagResult]] = [[] for _ in texts]
        features: dict[HashedNgrams, sp.csr_matrix] = {}  # featurize once per distinct featurizer
        for dim, model in self.dimensions.items():
            warm = model.n_seen >= self.min_seen and bool(model.classes)
            if not warm:
                guesses: list[tuple[str | None, float]] = [(None, 0.0)] * len(texts)
            elif isinstance(model, TextClassifierBase):
                if model.featurizer not in features:
                    features[model.featurizer] = model.featurizer.transform_many(texts)
                guesses = model.predict_features(features[model.featurizer])
            else:
                guesses = model.predict_many(texts)
            rules = self._rules.get(dim)
            for out, text, (tag, conf) in zip(results, texts, guesses, strict=True):
                if tag is not None and conf >= self.min_confidence:
                    out.append(TagResult(dim, tag, conf, "model", version))
                    continue
                hit = rules.match_one(text) if rules is not None else None
                if hit is not None:
                    out.append(TagResult(dim, hit[0], hit[1], "rules", version))
                elif tag is not None:
                    out.append(TagResult(dim, tag, conf, "model", version))
        return results

    def __repr__(self) -> str:
        return f"Tagger(dimensions={sorted(self.dimensions)}, version={self.version!r})"
