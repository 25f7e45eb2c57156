"""Two blends of the same members, mixed per text by what kind of text it is.

Why: no single weighting of our members holds on every kind of complaint text. The quadratic
kernel (squared cosine) sharpens similarity, which is what short English intents need
(BANKING77, 5-fold: 0.905 with it, 0.89 without), but on Chinese character n-grams and on long
narratives it concentrates on near-duplicates and stops generalising (alone: 0.39 vs linear
ridge's 0.55 on UnionPay questions grouped by FAQ; 0.62 vs 0.68 on CFPB narratives by time).
Those two want heavier smoothing and the whole-space centroid instead. So each text gets a
share ``a`` of the "broad" blend and ``1 - a`` of the "short" one, mixing their probabilities:
``a = 1`` for a mainly Chinese text, and for Latin text ``a`` rises linearly with its length
between ``long_text_range`` characters. Every member learns every text; only the scoring mixes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from online_models.ensemble_base import EnsembleBase
from online_models.text_classifier_base import TextClassifierBase, softmax_rows
from online_models.text_normalization import HAN_CHARS

__all__ = ["GatedBlendTextClassifier", "broad_share"]

_HAN_RE = re.compile(f"[{HAN_CHARS}]")


def broad_share(
    text: str, long_text_range: tuple[int, int] = (200, 600), chinese_share: float = 0.3
) -> float:
    """How much of the "broad" blend a text gets: 1 for Chinese text, else by its length.

    Examples
    --------
    >>> broad_share("信用卡被盗刷了"), broad_share("my card is lost"), broad_share("x" * 400)
    (1.0, 0.0, 0.5)
    """
    han = len(_HAN_RE.findall(text))
    if han and han >= chinese_share * sum(c.isalpha() for c in text):
        return 1.0
    lo, hi = long_text_range
    return min(max((len(text) - lo) / (hi - lo), 0.0), 1.0)


class GatedBlendTextClassifier(EnsembleBase):
    """Per-text mixture of two weightings ("short", "broad") of one set of members.

    Parameters
    ----------
    models
        Untrained members sharing equal featurizers; the classifier trains them all.
    short_weights, broad_weights
        One weight per member for each blend (0 leaves a member out of that blend).
    short_temperature, broad_temperature
        Divide each blend's summed scores before its softmax.
    long_text_range
        Latin texts up to the first length are scored by the short blend only, from the second
        on by the broad one only, linearly mixed in between.
    chinese_share
        Texts whose letters are at least this share Chinese characters use the broad blend.

    Examples
    --------
    >>> from online_models.featurizers import HashedNgrams
    >>> from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
    >>> from online_models.centroid_text_classifier import CentroidTextClassifier
    >>> fz = HashedNgrams(n_bits=16)
    >>> model = GatedBlendTextClassifier(
    ...     [NaiveBayesTextClassifier(fz), CentroidTextClassifier(fz)], [1.0, 0.0], [0.0, 1.0]
    ... )
    >>> model.learn_many(["card stolen", "信用卡被盗", "atm ate my card", "取款机吞卡"],
    ...                  ["theft", "theft", "atm", "atm"])
    >>> [label for label, _ in model.predict_many(["stolen card", "取款机"])]
    ['theft', 'atm']
    """

    def __init__(
        self,
        models: Sequence[TextClassifierBase],
        short_weights: Sequence[float],
        broad_weights: Sequence[float],
        short_temperature: float = 1.0,
        broad_temperature: float = 1.0,
        long_text_range: tuple[int, int] = (200, 600),
        chinese_share: float = 0.3,
    ) -> None:
        models = list(models)
        for name, weights in (("short_weights", short_weights), ("broad_weights", broad_weights)):
            if len(weights) != len(models):
                raise ValueError(f"got {len(weights)} {name} for {len(models)} models")
        if min(short_temperature, broad_temperature) <= 0:
            raise ValueError("temperatures must be > 0")
        if not 0 <= long_text_range[0] < long_text_range[1]:
            raise ValueError("long_text_range must be (lo, hi) with 0 <= lo < hi")
        self.short_weights = [float(w) for w in short_weights]
        self.broad_weights = [float(w) for w in broad_weights]
        self.short_temperature = short_temperature
        self.broad_temperature = broad_temperature
        lo, hi = long_text_range
        self.long_text_range = (lo, hi)
        self.chinese_share = chinese_share
        self.temperature = short_temperature
        self._init_members(models)

    def clone(self) -> GatedBlendTextClassifier:
        params = self._get_params()
        params["models"] = [m.clone() for m in self.models]
        return type(self)(**params)

    def _blend_scores(
        self, x: sp.csr_matrix, share: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Summed scores of both blends; with ``share``, each member scores only the rows that a
        blend it belongs to weighs at all (short English texts never reach the broad members)."""
        n_rows = x.shape[0]
        short = np.zeros((n_rows, len(self._classes)))
        broad = np.zeros_like(short)
        needs_short = np.ones(n_rows, dtype=bool) if share is None else share < 1.0
        needs_broad = np.ones(n_rows, dtype=bool) if share is None else share > 0.0
        for model, w_short, w_broad in zip(self.models, self.short_weights, self.broad_weights, strict=True):
            rows = (needs_short if w_short else False) | (needs_broad if w_broad else False)
            if not np.any(rows):
                continue
            index = np.flatnonzero(rows)
            scores = model.score_features(x[index] if len(index) < n_rows else x)
            columns = np.array([self._class_index[c] for c in model.classes], dtype=np.intp)
            grid = np.ix_(index, columns)
            if w_short:
                short[grid] += w_short * scores
            if w_broad:
                broad[grid] += w_broad * scores
        return short, broad

    def _score_features(self, x: sp.csr_matrix) -> np.ndarray:
        """The short blend's scores (what a caller without the texts gets)."""
        return self._blend_scores(x)[0]

    def predict_proba_features(self, x: sp.csr_matrix, texts: Sequence[str] | None = None) -> np.ndarray:
        if texts is None:
            raise ValueError("GatedBlendTextClassifier needs the texts to weigh its blends")
        if len(texts) != x.shape[0]:
            raise ValueError(f"got {len(texts)} texts for {x.shape[0]} rows")
        self._flush()
        if not self._classes:
            return np.zeros((x.shape[0], 0))
        share = np.array([broad_share(t, self.long_text_range, self.chinese_share) for t in texts])
        short, broad = self._blend_scores(x, share)
        share = share[:, None]
        return (1.0 - share) * softmax_rows(short / self.short_temperature, x) + share * softmax_rows(
            broad / self.broad_temperature, x
        )
