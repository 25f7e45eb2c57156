"""What our ensembles share: members on one featurizer, trained together on features made once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from online_models.text_classifier_base import TextClassifierBase

__all__ = ["EnsembleBase"]


class EnsembleBase(TextClassifierBase):
    """Base of classifiers made of member classifiers; subclasses say how to score."""

    models: list[TextClassifierBase]

    def _init_members(self, models: Sequence[TextClassifierBase]) -> None:
        """Check and keep the members (untrained, equal featurizers), then the base state."""
        models = list(models)
        if not models:
            raise ValueError("a blend needs at least one model")
        if any(m.featurizer != models[0].featurizer for m in models):
            raise ValueError("all blended models must use equal featurizers")
        if any(m.n_seen for m in models):
            raise ValueError("blended models must be untrained; the blend trains them")
        self.models = models
        self.featurizer = models[0].featurizer
        self._init_state()

    def prepare_updates(self) -> None:
        for model in self.models:
            model.prepare_updates()

    def warm_up(self) -> None:
        self._flush()
        for model in self.models:
            model.warm_up()

    def _learn_features(self, x: sp.csr_matrix, labels: np.ndarray) -> None:
        names = [self._classes[i] for i in labels.tolist()]
        for model in self.models:
            model.learn_features(x, names)
