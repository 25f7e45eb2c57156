"""A weighted blend of text classifiers that share one featurizer, and the default model.

Naive Bayes (generative) and ridge regression on a quadratic-kernel sketch (discriminative) make
different mistakes; summing their scores gains ~2 points on banking77 over naive Bayes alone, and
both stay exact and order-free. The texts are featurized once per batch for all members.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from online_models.featurizers import HashedNgrams
from online_models.naive_bayes_text_classifier import NaiveBayesTextClassifier
from online_models.quadratic_ridge_text_classifier import QuadraticRidgeTextClassifier
from online_models.text_classifier_base import TextClassifierBase

__all__ = ["BlendedTextClassifier", "default_text_classifier"]

# Weight of the ridge scores (regression outputs, ~0..1) against naive Bayes log-posteriors
# (tens of nats apart); tuned by 5-fold cross-validation on banking77 (12-25 within 0.05 points).
RIDGE_WEIGHT = 15.0
# Softmax temperature of the default blend: expected calibration error ~0.02 on those splits.
BLEND_TEMPERATURE = 2.0


class BlendedTextClassifier(TextClassifierBase):
    """Sum of the members' weighted raw scores, softmaxed with ``temperature``.

    Parameters
    ----------
    models
        Untrained members; they must share equal featurizers and are trained by the blend.
    weights
        One weight per member (default: all 1).
    temperature
        Divides the blended score before the softmax that gives confidences.

    Examples
    --------
    >>> fz = HashedNgrams(n_bits=16)
    >>> blend = BlendedTextClassifier(
    ...     [NaiveBayesTextClassifier(fz), QuadraticRidgeTextClassifier(fz, dim=256)], weights=[1.0, 8.0]
    ... )
    >>> blend.learn_many(["card stolen", "信用卡被盗", "atm ate my card", "取款机吞卡"],
    ...                  ["theft", "theft", "atm", "atm"])
    >>> blend.learn_one("房贷利率上调", "mortgage")
    >>> [label for label, _ in blend.predict_many(["stolen card", "取款机", "房贷"])]
    ['theft', 'atm', 'mortgage']
    >>> [m.n_seen for m in blend.models]
    [5, 5]
    """

    def __init__(
        self,
        models: Sequence[TextClassifierBase],
        weights: Sequence[float] | None = None,
        temperature: float = 1.0,
    ) -> None:
        models = list(models)
        if not models:
            raise ValueError("a blend needs at least one model")
        if any(m.featurizer != models[0].featurizer for m in models):
            raise ValueError("all blended models must use equal featurizers")
        if any(m.n_seen for m in models):
            raise ValueError("blended models must be untrained; the blend trains them")
        weights = [1.0] * len(models) if weights is None else [float(w) for w in weights]
        if len(weights) != len(models):
            raise ValueError(f"got {len(weights)} weights for {len(models)} models")
        if temperature <= 0:
            raise ValueError("temperature must be > 0")
        self.models = models
        self.weights = weights
        self.temperature = temperature
        self.featurizer = models[0].featurizer
        self._init_state()

    def _get_params(self) -> dict[str, object]:
        return {"models": self.models, "weights": self.weights, "temperature": self.temperature}

    def clone(self) -> BlendedTextClassifier:
        return type(self)([m.clone() for m in self.models], list(self.weights), self.temperature)

    def prepare_updates(self) -> None:
        for model in self.models:
            model.prepare_updates()

    def _learn_features(self, x: sp.csr_matrix, labels: np.ndarray) -> None:
        names = [self._classes[i] for i in labels.tolist()]
        for model in self.models:
            model.learn_features(x, names)

    def _score_features(self, x: sp.csr_matrix) -> np.ndarray:
        total = np.zeros((x.shape[0], len(self._classes)))
        for model, weight in zip(self.models, self.weights, strict=True):
            columns = [self._class_index[c] for c in model.classes]
            total[:, columns] += weight * model.score_features(x)
        return total


def default_text_classifier() -> BlendedTextClassifier:
    """The model the tagger uses unless told otherwise: naive Bayes + quadratic ridge, shared features.

    Learned once in file order (sorted by class) on banking77 train.csv: 0.906 accuracy in 5-fold
    cross-validation (naive Bayes alone 0.885; the earlier naive Bayes + linear ridge blend 0.895)
    and 0.8975 on the fixed 80/20 split of the tests. Naive Bayes leaves out the class prior: the
    labels' class mix says what was labelled (a bootstrap file, a reviewer working through one
    topic), not how often a class comes in, and without it accuracy on classes that are rare in
    the training stream goes up (+0.2 points balanced accuracy). About 50 MB per instance, mostly
    the ridge's Gram matrix.
    """
    featurizer = HashedNgrams(n_bits=18)
    return BlendedTextClassifier(
        [NaiveBayesTextClassifier(featurizer, fit_prior=False), QuadraticRidgeTextClassifier(featurizer)],
        weights=[1.0, RIDGE_WEIGHT],
        temperature=BLEND_TEMPERATURE,
    )
