"""Ridge regression on a tensor sketch of hashed n-grams: a quadratic-kernel model, learned exactly
and incrementally.

Why: on banking77, kernel ridge with the quadratic kernel ``(x . y)**2`` over binary n-gram
vectors is far stronger than with the linear one (0.915 vs 0.863 accuracy in exact, offline
kernel ridge on two folds): squaring sharpens the similarity, so texts sharing only the common
n-grams stop looking alike, and products of n-grams act as conjunctions ("card" AND "not
arrived"). Kernel ridge needs every training text, which an online model cannot keep; the tensor
sketch (Pham and Pagh, 2013) maps each text to ``dim`` features whose inner products estimate the
quadratic kernel without bias, so ridge regression on them is still a function of the sums
``Z'Z`` and ``Z'Y`` only: exact, order-free, bounded memory, as in ``RidgeTextClassifier``.

The sketch is the circular convolution of two independent count sketches of the text (one FFT
each way), which equals a count sketch of the text's n-gram pairs ``x (x) x``.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.sparse as sp

from online_models.featurizers import HashedNgrams, mix64
from online_models.ridge_text_classifier import RidgeTextClassifier, column_dtype

__all__ = ["QuadraticRidgeTextClassifier"]

# Odd multiplier that spreads a feature's index before the sketch salt is added.
_INDEX_MULTIPLIER = np.uint64(7)


class QuadraticRidgeTextClassifier(RidgeTextClassifier):
    """Exact incremental ridge regression on a degree-2 tensor sketch of the n-gram presence vector.

    Parameters are those of ``RidgeTextClassifier`` except ``n_projections`` (one bucket per
    n-gram in each count sketch: more did not help on banking77) and ``binary`` (the sketch
    always uses L2-normalised n-gram presence, so the kernel is the squared cosine similarity).
    Learning cost grows with ``dim**2`` per text (2048: ~14,000 texts/s on one core); two
    models with different ``seed`` make independent sketches whose errors partly cancel.

    Examples
    --------
    >>> model = QuadraticRidgeTextClassifier(featurizer=HashedNgrams(n_bits=16), dim=256)
    >>> model.learn_many(["my card was stolen", "信用卡被盗了", "the atm ate my card", "取款机吞卡"],
    ...                  ["theft", "theft", "atm", "atm"])
    >>> model.predict_one("card stolen"), model.predict_one("取款机")
    ('theft', 'atm')
    >>> z = model.project(model.featurizer.transform_many(["card stolen", "card stolen"]))
    >>> z.shape, bool(np.allclose(z[0], z[1]))
    ((2, 256), True)
    """

    def __init__(
        self,
        featurizer: HashedNgrams | None = None,
        dim: int = 2048,
        l2: float = 0.1,
        seed: int = 0,
        temperature: float = 0.05,
    ) -> None:
        super().__init__(
            featurizer, dim=dim, n_projections=1, l2=l2, binary=True, seed=seed, temperature=temperature
        )

    def _count_sketch(self, x: sp.csr_matrix, salt: int) -> np.ndarray:
        columns, signs = self._sketch_table(salt)
        lengths = np.diff(x.indptr)
        presence = np.repeat((1.0 / np.sqrt(np.maximum(lengths, 1))).astype(np.float32), lengths)
        spread = sp.csr_matrix(
            (signs[x.indices] * presence, columns[x.indices], x.indptr), shape=(x.shape[0], self.dim)
        )
        return spread.toarray()  # sums the n-grams that share a column

    def _sketch_table(self, salt: int) -> tuple[np.ndarray, np.ndarray]:
        """Every feature's column and sign in the count sketch salted ``salt``, hashed once per
        model (see ``RidgeTextClassifier._projection_table``; ~6 bytes per feature)."""
        tables: dict[int, tuple[np.ndarray, np.ndarray]] = self.__dict__.setdefault("_sketch_tables", {})
        table = tables.get(salt)
        if table is None:
            features = np.arange(self.featurizer.n_features, dtype=np.uint64)
            h = mix64(features * _INDEX_MULTIPLIER + np.uint64(salt))
            columns = (h & np.uint64(self.dim - 1)).astype(column_dtype(self.dim))
            signs = np.where((h >> np.uint64(63)) == 0, 1.0, -1.0).astype(np.float32)
            table = tables[salt] = (columns, signs)
        return table

    def project(self, x: sp.csr_matrix) -> np.ndarray:
        """Dense ``(rows, dim)`` tensor sketch of featurized rows (float32)."""
        first = scipy.fft.rfft(self._count_sketch(x, 2 * self.seed + 1), axis=1)
        second = scipy.fft.rfft(self._count_sketch(x, 2 * self.seed + 2), axis=1)
        first *= second
        sketch: np.ndarray = scipy.fft.irfft(first, n=self.dim, axis=1)
        return sketch.astype(np.float32, copy=False)
