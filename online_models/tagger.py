"""Tag complaints along several taxonomy dimensions, one incremental classifier per dimension,
with keyword rules covering each dimension until its model has learned enough to take over, and
the latest label of each exact text remembered so a correction holds at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import scipy.sparse as sp

from online_models.featurizers import HashedNgrams, normalize_text
from online_models.keyword_rules import KeywordRules
from online_models.label_memory import LabelMemory, text_key
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
    #: Best minus second-best model probability (None: a keyword rule decided, or a remembered label).
    margin: float | None = None


class Tagger:
    """One classifier per taxonomy dimension plus cold-start keyword rules.

    For each dimension and text: a text labelled before (the same text, normalised) gets its
    latest label with confidence 1 (``source="model"``: it was learned); else, once the model has
    seen ``min_seen`` labels and is at least ``min_confidence`` sure, the model decides; otherwise
    a keyword hit decides (``source="rules"``); otherwise a warm model's unsure guess is still
    returned (its confidence says how unsure), and a cold model with no keyword hit gives no tag.

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
    memory_size
        Exact texts whose latest label each dimension remembers (0 turns the memory off).

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
model_version='tagger-0', margin=None)], []]
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
        memory_size: int = 20_000,
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
        self.memory_size = memory_size
        self._memory = {dim: LabelMemory(memory_size) for dim in self.dimensions}
        self.n_updates = 0
        self.revision = 0  # taxonomy changes (dimensions, keywords) since creation
        #: Per dimension, how its model configuration was chosen (``ModelChoice.to_dict()``).
        self.model_choices: dict[str, dict[str, Any]] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Snapshots pickled before the label memory existed load with an empty one."""
        self.__dict__.update(state)
        self.__dict__.setdefault("revision", 0)
        self.__dict__.setdefault("model_choices", {})
        if "_memory" not in state:
            self.memory_size = 0
            self._memory = {dim: LabelMemory(0) for dim in self.dimensions}

    # -- taxonomy changes ---------------------------------------------------------------------------

    def add_dimension(
        self, dimension: str, model: TextClassifier, keywords: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Start tagging a new dimension (untrained ``model``, optional cold-start keywords)."""
        if dimension in self.dimensions:
            raise ValueError(f"dimension {dimension!r} already exists")
        self.dimensions[dimension] = model
        self._memory[dimension] = LabelMemory(self.memory_size)
        self.set_keywords(dimension, keywords or {})  # counts as one revision

    def set_model(
        self, dimension: str, model: TextClassifier, choice: Mapping[str, Any] | None = None
    ) -> None:
        """Give a dimension that has learned nothing yet another (untrained) model, e.g. the
        configuration a bootstrap's validation chose; ``choice`` records why."""
        if self._model(dimension).n_seen:
            raise ValueError(f"dimension {dimension!r} has learned labels: its model cannot be swapped")
        self.dimensions[dimension] = model
        if choice is not None:
            self.model_choices[dimension] = dict(choice)

    def remove_dimension(self, dimension: str) -> None:
        """Stop tagging ``dimension`` and forget what it learned."""
        self._model(dimension)
        del self.dimensions[dimension]
        self._memory.pop(dimension, None)
        self.keywords.pop(dimension, None)
        self._rules.pop(dimension, None)
        self.revision += 1

    def set_keywords(self, dimension: str, keywords: Mapping[str, Sequence[str]]) -> None:
        """Replace a dimension's cold-start keywords (``{tag: [keyword, ...]}``; empty: none)."""
        self._model(dimension)
        if keywords:
            self.keywords[dimension] = {tag: list(words) for tag, words in keywords.items()}
            self._rules[dimension] = KeywordRules(self.keywords[dimension], self.rule_confidence)
        else:
            self.keywords.pop(dimension, None)
            self._rules.pop(dimension, None)
        self.revision += 1

    @property
    def version(self) -> str:
        """Changes whenever the tagger learns or its taxonomy changes.

        ``f"{name}-{n_updates}"`` (labels learned), with ``f".{revision}"`` appended once the
        dimensions or keywords were changed after creation.
        """
        base = f"{self.name}-{self.n_updates}"
        return f"{base}.{self.revision}" if self.revision else base

    def _model(self, dimension: str) -> TextClassifier:
        try:
            return self.dimensions[dimension]
        except KeyError:
            raise KeyError(f"unknown dimension {dimension!r}; known: {sorted(self.dimensions)}") from None

    def learn_one(self, text: str, dimension: str, tag: str) -> None:
        """Learn one label (e.g. a reviewer's correction) for one dimension."""
        self._model(dimension).learn_one(text, tag)
        self._memory[dimension].remember([text], [tag])
        self.n_updates += 1

    def learn_many(self, texts: Sequence[str], dimension: str, tags: Sequence[str]) -> None:
        """Learn a micro-batch of labels for one dimension, each once, in order."""
        texts, tags = list(texts), list(tags)
        self._model(dimension).learn_many(texts, tags)
        self._memory[dimension].remember(texts, tags)
        self.n_updates += len(texts)

    def prepare_updates(self) -> None:
        """Let every model that can get ready to learn labels one by one cheaply (a learner calls
        this once after loading a snapshot, so the first correction is as fast as the next)."""
        for model in self.dimensions.values():
            prepare = getattr(model, "prepare_updates", None)
            if prepare is not None:
                prepare()

    def predict_one(self, text: str) -> list[TagResult]:
        return self.predict_many([text])[0]

    def predict_many(
        self, texts: Sequence[str], dimensions: Sequence[str] | None = None
    ) -> list[list[TagResult]]:
        """Tags of every dimension (or only ``dimensions``) for each text; a dimension may have
        no tag for a text."""
        texts = list(texts)
        wanted = self.dimensions if dimensions is None else {d: self._model(d) for d in dimensions}
        version = self.version
        results: list[list[TagResult]] = [[] for _ in texts]
        features: dict[HashedNgrams, sp.csr_matrix] = {}  # featurize once per distinct featurizer
        keys = [text_key(text) for text in texts] if any(len(m) for m in self._memory.values()) else []
        normalized: list[str | None] = [None] * len(texts)  # for keyword rules, once per text
        for dim, model in wanted.items():
            memory = self._memory[dim]
            remembered = memory.recall_keys(keys) if len(memory) else [None] * len(texts)
            warm = model.n_seen >= self.min_seen and bool(model.classes)
            if not warm:
                guesses: list[tuple[str | None, float, float]] = [(None, 0.0, 0.0)] * len(texts)
            elif isinstance(model, TextClassifierBase):
                if model.featurizer not in features:
                    features[model.featurizer] = model.featurizer.transform_many(texts)
                guesses = model.predict_margin_features(features[model.featurizer], texts)
            else:
                guesses = [(tag, conf, conf) for tag, conf in model.predict_many(texts)]
            rules = self._rules.get(dim)
            for i, (out, known, (tag, conf, margin)) in enumerate(
                zip(results, remembered, guesses, strict=True)
            ):
                if known is not None:
                    out.append(TagResult(dim, known, 1.0, "model", version))
                    continue
                if tag is not None and conf >= self.min_confidence:
                    out.append(TagResult(dim, tag, conf, "model", version, margin))
                    continue
                hit = None
                if rules is not None:
                    plain = normalized[i]
                    if plain is None:
                        plain = normalized[i] = normalize_text(texts[i])
                    hit = rules.match_normalized(plain)
                if hit is not None:
                    out.append(TagResult(dim, hit[0], hit[1], "rules", version))
                elif tag is not None:
                    out.append(TagResult(dim, tag, conf, "model", version, margin))
        return results

    def __repr__(self) -> str:
        return f"Tagger(dimensions={sorted(self.dimensions)}, version={self.version!r})"
