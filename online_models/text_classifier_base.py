"""What every hashed-n-gram text classifier here shares: the River verbs, label bookkeeping,
queued ``learn_one``, softmax confidences, cloning and pickling.

Subclasses only say how to learn from a feature matrix and how to score one. Because all our
models are sums of per-item statistics (order-free), queueing ``learn_one`` calls and learning
them together later gives exactly the same model, and turns many tiny updates into one.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable, Sequence
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from online_models.featurizers import HashedNgrams

__all__ = ["TextClassifierBase", "softmax_rows"]

# Queued learn_one() items are learned together once this many are waiting (or before a predict).
FLUSH_EVERY = 512


class TextClassifierBase:
    """Base of incremental multiclass text classifiers over ``HashedNgrams`` features.

    Subclasses implement ``_learn_features(x, labels)`` (``labels`` index ``self.classes``,
    possibly including classes new in this batch) and ``_score_features(x)`` (raw scores,
    one column per class), and set ``featurizer`` and ``temperature`` in ``__init__``.
    """

    featurizer: HashedNgrams
    temperature: float

    def _init_state(self) -> None:
        self._classes: list[str] = []
        self._class_index: dict[str, int] = {}
        self.n_seen = 0
        self._pending_texts: list[str] = []
        self._pending_labels: list[str] = []

    # -- subclass hooks ---------------------------------------------------------------------------

    def _learn_features(self, x: sp.csr_matrix, labels: np.ndarray) -> None:
        raise NotImplementedError

    def _score_features(self, x: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def _pickle_state(self) -> dict[str, object]:
        """What to pickle; subclasses drop caches that are cheaper to rebuild than to ship."""
        return self.__dict__.copy()

    def prepare_updates(self) -> None:
        """Get ready to learn a few labels at a time cheaply (models that can, e.g. ridge, do)."""

    def warm_up(self) -> None:
        """Derive now what predictions need from the statistics (solved weights, log ratios),
        so the first prediction is as fast as the next; a pickled snapshot arrives warm."""
        self.score_features(self.featurizer.transform_many(["warm up"]))

    # -- River-style helpers ----------------------------------------------------------------------

    def _get_params(self) -> dict[str, Any]:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def clone(self) -> Self:
        """A fresh, untrained model with the same hyperparameters."""
        return type(self)(**copy.deepcopy(self._get_params()))

    @property
    def classes(self) -> list[str]:
        """Labels seen so far, in order of first appearance."""
        return list(self._classes)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._get_params().items())
        return f"{type(self).__name__}({params})"

    # -- learning ---------------------------------------------------------------------------------

    def _label_indices(self, ys: Sequence[str]) -> np.ndarray:
        out = np.empty(len(ys), dtype=np.int64)
        for i, label in enumerate(ys):
            index = self._class_index.get(label)
            if index is None:
                if not isinstance(label, str) or not label:
                    raise ValueError(f"labels must be non-empty strings, got {label!r}")
                index = len(self._classes)
                self._classes.append(label)
                self._class_index[label] = index
            out[i] = index
        return out

    def learn_one(self, x: str, y: str) -> None:
        """Learn one labelled text (queued, see the module docstring)."""
        self._label_indices([y])  # registers a new class at once, so ``classes`` is current
        self._pending_texts.append(x)
        self._pending_labels.append(y)
        self.n_seen += 1
        if len(self._pending_texts) >= FLUSH_EVERY:
            self._flush()

    def learn_many(self, xs: Sequence[str], ys: Sequence[str]) -> None:
        """Learn a micro-batch of labelled texts, each once."""
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            raise ValueError(f"got {len(xs)} texts but {len(ys)} labels")
        self._pending_texts.extend(xs)
        self._pending_labels.extend(ys)
        self.n_seen += len(xs)
        self._flush()

    def learn_features(self, x: sp.csr_matrix, ys: Sequence[str]) -> None:
        """Learn rows already featurized by ``self.featurizer`` (lets an ensemble featurize once).

        Counts towards ``n_seen`` like ``learn_many``.
        """
        self._flush()
        if x.shape[0] != len(ys):
            raise ValueError(f"got {x.shape[0]} rows but {len(ys)} labels")
        self.n_seen += len(ys)
        self._learn_features(x, self._label_indices(ys))

    def _flush(self) -> None:
        if not self._pending_texts:
            return
        texts, labels = self._pending_texts, self._pending_labels
        self._pending_texts, self._pending_labels = [], []
        self._learn_features(self.featurizer.transform_many(texts), self._label_indices(labels))

    # -- prediction -------------------------------------------------------------------------------

    def score_features(self, x: sp.csr_matrix) -> np.ndarray:
        """Raw scores (rows x ``classes``), before the temperature and softmax."""
        self._flush()
        if not self._classes:
            return np.zeros((x.shape[0], 0))
        return self._score_features(x)

    def predict_proba_features(self, x: sp.csr_matrix, texts: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities for featurized rows; all-zero rows for rows with no feature.

        ``texts`` are the rows' texts, for models whose scoring depends on the kind of text
        (``GatedBlendTextClassifier``); the others ignore them.
        """
        scores = self.score_features(x) / self.temperature
        if scores.shape[1] == 0:
            return scores
        return softmax_rows(scores, x)

    def predict_features(
        self, x: sp.csr_matrix, texts: Sequence[str] | None = None
    ) -> list[tuple[str | None, float]]:
        """``(label, confidence)`` per featurized row."""
        return [(label, conf) for label, conf, _ in self.predict_margin_features(x, texts)]

    def predict_margin_features(
        self, x: sp.csr_matrix, texts: Sequence[str] | None = None
    ) -> list[tuple[str | None, float, float]]:
        """``(label, confidence, margin)`` per featurized row; the margin is the probability of the
        best label minus that of the runner-up (what a review queue sorts by: small = unsure)."""
        probs = self.predict_proba_features(x, texts)
        if probs.shape[1] == 0:
            return [(None, 0.0, 0.0)] * probs.shape[0]
        if probs.shape[1] == 1:
            top2 = np.hstack([probs, np.zeros_like(probs)])
        else:
            top2 = -np.partition(-probs, 1, axis=1)[:, :2]
        best = probs.argmax(axis=1)
        return [
            (self._classes[b], float(first), float(first - second)) if first > 0 else (None, 0.0, 0.0)
            for b, (first, second) in zip(best.tolist(), top2.tolist(), strict=True)
        ]

    def predict_proba_many(self, xs: Iterable[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in the order of ``classes``."""
        texts = list(xs)
        return self.predict_proba_features(self.featurizer.transform_many(texts), texts)

    def predict_many(self, xs: Iterable[str]) -> list[tuple[str | None, float]]:
        """``(label, confidence)`` per text; ``(None, 0.0)`` before any label or for a text
        with no usable characters."""
        texts = list(xs)
        return self.predict_features(self.featurizer.transform_many(texts), texts)

    def predict_proba_one(self, x: str) -> dict[str, float]:
        """Probability of every known class (empty before any label)."""
        probs = self.predict_proba_many([x])
        return dict(zip(self._classes, probs[0].tolist(), strict=True)) if probs.shape[1] else {}

    def predict_one(self, x: str) -> str | None:
        return self.predict_many([x])[0][0]

    # -- persistence ------------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, object]:
        self._flush()
        return self._pickle_state()


def softmax_rows(scores: np.ndarray, x: sp.csr_matrix) -> np.ndarray:
    """Row-wise softmax; rows with no feature get all-zero probabilities (nothing to go on)."""
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.diff(x.indptr) == 0] = 0.0
    return probs
