"""Ridge regression on a random projection of hashed n-grams, learned exactly and incrementally.

Why ridge: it is the discriminative linear model whose solution depends only on sums over the
stream (``Z'Z`` and ``Z'Y``), so learning item by item, in any order, gives exactly the batch
solution. Online linear models (perceptron, passive-aggressive, SGD) instead drift with the order
of the stream and collapse when labels arrive grouped by class. The price is a ``dim x dim``
matrix, so the hashed features are first projected to ``dim`` dimensions with a sparse random
(count-sketch style) projection. Alone it is weaker than naive Bayes on banking77 (0.844 vs 0.882
in 5-fold cross-validation), but its errors differ: the blend of the two reaches 0.896.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from online_models.featurizers import HashedNgrams, mix64
from online_models.text_classifier_base import TextClassifierBase

__all__ = ["RidgeTextClassifier"]

logger = logging.getLogger(__name__)

# Batches summed in float32 before being added to the float64 Gram matrix: 16 x 500 texts keeps
# float32 rounding far below the ridge penalty while making the fold's cost negligible.
_FOLD_EVERY = 16
# A solve after at most this many new texts updates the kept inverse (Woodbury: ~k * dim**2 work)
# instead of solving the whole system again (~dim**3): a learner taking corrections one by one re-solves
# in milliseconds instead of ~0.4 s at dim 2048.
_WOODBURY_MAX_ROWS = 64
# Woodbury updates accumulate rounding; after this many texts the inverse is computed afresh.
_WOODBURY_REFRESH_ROWS = 4096


#: Derived per process, rebuilt on first use: never pickled.
_CACHES = ("_table", "_sketch_tables", "_weights32")


def column_dtype(dim: int) -> type[np.unsignedinteger]:
    """The smallest unsigned type holding a column below ``dim``."""
    return np.uint16 if dim <= 1 << 16 else np.uint32


class RidgeTextClassifier(TextClassifierBase):
    """Exact incremental ridge regression (one-hot targets) on projected n-gram features.

    Parameters
    ----------
    featurizer
        Turns texts into sparse rows; defaults to ``HashedNgrams()``.
    dim
        Projected dimension (a power of two). Memory and learning cost grow with ``dim**2``:
        2048 means a 32 MB Gram matrix and ~35 ms per 500 learned texts.
    n_projections
        Non-zeros per feature in the projection; more spreads each n-gram over several
        dimensions and loses less to collisions.
    l2
        Ridge penalty.
    binary
        Project n-gram presence (each row L2-normalised) instead of the featurizer's weights:
        +0.4 points in the blend on 5-fold CV of banking77, with ``l2=0.1``.
    seed
        Salt of the projection hash, so two models can use different projections.
    temperature
        Divides the regression outputs before the softmax that gives confidences (0.05 gives
        expected calibration error ~0.04 on banking77 splits).

    Examples
    --------
    >>> model = RidgeTextClassifier(featurizer=HashedNgrams(n_bits=16), dim=256)
    >>> model.learn_many(["my card was stolen", "信用卡被盗了", "the atm ate my card", "取款机吞卡"],
    ...                  ["theft", "theft", "atm", "atm"])
    >>> model.predict_one("card stolen"), model.predict_one("取款机")
    ('theft', 'atm')
    """

    def __init__(
        self,
        featurizer: HashedNgrams | None = None,
        dim: int = 2048,
        n_projections: int = 4,
        l2: float = 0.1,
        binary: bool = True,
        seed: int = 0,
        temperature: float = 0.05,
    ) -> None:
        if dim < 2 or dim & (dim - 1):
            raise ValueError("dim must be a power of two >= 2")
        if n_projections < 1:
            raise ValueError("n_projections must be >= 1")
        if l2 <= 0:
            raise ValueError("l2 must be > 0")
        if temperature <= 0:
            raise ValueError("temperature must be > 0")
        self.featurizer = featurizer if featurizer is not None else HashedNgrams()
        self.dim = dim
        self.n_projections = n_projections
        self.l2 = l2
        self.binary = binary
        self.seed = seed
        self.temperature = temperature
        self._init_state()
        self._gram = np.zeros((dim, dim), order="F")  # upper triangle of Z'Z
        # Recent batches accumulate in float32 (a fast in-place BLAS update) and are folded into
        # the float64 sum every _FOLD_EVERY batches, so long streams keep their precision.
        self._gram_recent: np.ndarray | None = None
        self._recent_batches = 0
        self._targets = np.zeros((0, dim))  # class x dim: Y'Z
        self._weights: np.ndarray | None = None  # dim x class, solved lazily
        self._init_incremental_solve()

    def _init_incremental_solve(self) -> None:
        """State for cheap re-solves after a few new texts (kept in memory only, never pickled)."""
        self._inverse: np.ndarray | None = None  # (Z'Z + l2 I)^-1 as of the last solve
        self._unsolved_rows: list[np.ndarray] = []  # projected texts learned since the last solve
        self._rows_since_solve = 0
        self._woodbury_rows = 0  # texts folded into the inverse since it was last computed exactly

    def project(self, x: sp.csr_matrix) -> np.ndarray:
        """Dense ``(rows, dim)`` projection of featurized rows (float32)."""
        columns, signs = self._projection_table()
        lengths = np.diff(x.indptr)
        if self.binary:
            data = np.repeat((1.0 / np.sqrt(np.maximum(lengths, 1))).astype(np.float32), lengths)
        else:
            data = x.data.astype(np.float32)
        values = signs[x.indices] * data[:, None]
        k = self.n_projections
        spread = sp.csr_matrix(
            (values.ravel(), columns[x.indices].ravel(), x.indptr * k), shape=(x.shape[0], self.dim)
        )
        return spread.toarray()  # sums the n-grams that share a column

    def _projection_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Every feature's ``n_projections`` columns and signed weights, hashed once per model.

        Hashing each non-zero on every call cost more than the rest of the projection. The table
        (~6 bytes per feature and projection: 6 MB for 2**18 features and 4 projections) is
        rebuilt on first use after unpickling (``warm_up``), never shipped in a snapshot.
        """
        table: tuple[np.ndarray, np.ndarray] | None = self.__dict__.get("_table")
        if table is None:
            k = self.n_projections
            features = np.arange(self.featurizer.n_features, dtype=np.uint64)
            keys = (features[:, None] * np.uint64(k) + np.arange(k, dtype=np.uint64)) + np.uint64(
                self.seed * 0x9E3779B1
            )
            h = mix64(keys)
            columns = (h & np.uint64(self.dim - 1)).astype(column_dtype(self.dim))
            signs = np.where((h >> np.uint64(63)) == 0, 1.0, -1.0).astype(np.float32) / np.float32(np.sqrt(k))
            table = self.__dict__["_table"] = (columns, signs)
        return table

    def _scoring_weights(self) -> np.ndarray:
        """The solved weights as float32, like the projections (a float64 product cost 2x)."""
        weights = self._solve()
        cached: tuple[np.ndarray, np.ndarray] | None = self.__dict__.get("_weights32")
        if cached is None or cached[0] is not weights:
            cached = self.__dict__["_weights32"] = (weights, weights.astype(np.float32))
        return cached[1]

    def _learn_features(self, x: sp.csr_matrix, labels: np.ndarray) -> None:
        z = self.project(x)
        self._rows_since_solve += z.shape[0]
        if self._rows_since_solve <= _WOODBURY_MAX_ROWS:
            self._unsolved_rows.append(z)
        else:
            self._unsolved_rows = []
        if self._gram_recent is None:
            self._gram_recent = np.zeros((self.dim, self.dim), dtype=np.float32, order="F")
        self._gram_recent = blas.ssyrk(1.0, z, beta=1.0, c=self._gram_recent, trans=1, lower=0, overwrite_c=1)
        self._recent_batches += 1
        if self._recent_batches >= _FOLD_EVERY:
            self._fold()
        n_classes = len(self._classes)
        if self._targets.shape[0] < n_classes:
            grow = np.zeros((n_classes - self._targets.shape[0], self.dim))
            self._targets = np.vstack([self._targets, grow])
        assign = sp.csr_matrix(
            (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(n_classes, len(labels))
        )
        self._targets += assign @ z
        self._weights = None

    def _fold(self) -> None:
        if self._gram_recent is not None:
            self._gram += self._gram_recent
        self._gram_recent = None  # freed between folds; a model that only predicts never has one
        self._recent_batches = 0

    def _solve(self) -> np.ndarray:
        if self._weights is None or self._weights.shape[1] != self._targets.shape[0]:
            started = time.perf_counter()
            incremental = (
                self._inverse is not None
                and self._rows_since_solve <= _WOODBURY_MAX_ROWS
                and self._woodbury_rows + self._rows_since_solve <= _WOODBURY_REFRESH_ROWS
            )
            if incremental:
                self._update_inverse()
                self._weights = self._inverse @ self._targets.T  # type: ignore[operator]  # incremental: an inverse is kept
            else:
                self._solve_exactly(keep_inverse=self._rows_since_solve <= _WOODBURY_MAX_ROWS)
            self._unsolved_rows, self._rows_since_solve = [], 0
            logger.debug(
                "ridge solved (%s): %d dims, %d classes, %.3f s",
                "woodbury" if incremental else "exact",
                self.dim,
                self._targets.shape[0],
                time.perf_counter() - started,
            )
        weights: np.ndarray = self._weights  # type: ignore[assignment]  # set by either branch above
        return weights

    def prepare_updates(self) -> None:
        """Compute the kept inverse now (~0.8 s at dim 2048), so the next few labels re-solve in
        milliseconds: a learner calls this when it loads a snapshot, before corrections arrive."""
        if self._inverse is None:
            self._solve_exactly(keep_inverse=True)
            self._unsolved_rows, self._rows_since_solve = [], 0

    def _solve_exactly(self, *, keep_inverse: bool) -> None:
        """Solve from the Gram matrix; ``keep_inverse`` also keeps the inverse for cheap later
        re-solves (worth it when texts arrive a few at a time, as corrections do; not for a
        bootstrap).

        numpy's LAPACK calls release the GIL (scipy's Cholesky wrappers hold it for the whole
        factorisation): a learner solving in a thread must not stall its worker's event loop,
        or the broker's heartbeats stop and the consumer group rebalances.
        """
        self._fold()
        upper = np.triu(self._gram)
        system = upper + np.triu(upper, 1).T  # the Gram matrix keeps its upper triangle only
        system[np.diag_indices(self.dim)] += self.l2
        self._inverse, self._woodbury_rows = None, 0
        if keep_inverse:
            self._inverse = np.linalg.inv(system)
            self._weights = self._inverse @ self._targets.T
        else:
            self._weights = np.linalg.solve(system, self._targets.T)

    def _update_inverse(self) -> None:
        """Woodbury: ``(A + Z'Z)^-1 = A^-1 - A^-1 Z' (I + Z A^-1 Z')^-1 Z A^-1`` for the new rows Z."""
        assert self._inverse is not None
        if not self._unsolved_rows:
            return
        z = np.vstack(self._unsolved_rows).astype(np.float64)
        inverse_zt = self._inverse @ z.T
        small = np.eye(z.shape[0]) + z @ inverse_zt
        self._inverse -= inverse_zt @ np.linalg.solve(small, inverse_zt.T)
        self._woodbury_rows += z.shape[0]

    def _score_features(self, x: sp.csr_matrix) -> np.ndarray:
        scores: np.ndarray = self.project(x) @ self._scoring_weights()
        return scores

    def _pickle_state(self) -> dict[str, object]:
        """Ship the solved weights and only the upper triangle of the Gram matrix, as float32.

        Halves the snapshot (8 MB instead of 16 MB at ``dim=2048``); the rounding (relative
        1e-7) only touches a restored model once it learns again, far below the ridge penalty.
        The triangle is packed column by column (contiguous slices of the Fortran-ordered
        matrix): ~10x faster than fancy indexing, which matters on every publish and load.
        """
        self._solve()
        self._fold()
        state = self.__dict__.copy()
        state["_gram"] = _pack_upper(self._gram)
        state["_gram_layout"] = _UPPER_BY_COLUMNS
        for name in ("_inverse", "_unsolved_rows", "_rows_since_solve", "_woodbury_rows", *_CACHES):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        packed = np.asarray(state["_gram"], dtype=np.float64)
        dim = int(np.asarray(state["dim"]))
        if state.pop("_gram_layout", None) == _UPPER_BY_COLUMNS:
            state["_gram"] = _unpack_upper(packed, dim)
        else:  # snapshots written before the column layout: row-major triangle
            gram = np.zeros((dim, dim), order="F")
            gram[np.triu_indices(dim)] = packed
            state["_gram"] = gram
        self.__dict__.update(state)
        self._init_incremental_solve()


_UPPER_BY_COLUMNS = "upper-by-columns"


def _pack_upper(gram: np.ndarray) -> np.ndarray:
    """The upper triangle (diagonal included), column by column, as float32.

    Examples
    --------
    >>> m = np.asfortranarray(np.arange(9.0).reshape(3, 3))
    >>> _pack_upper(m).tolist()
    [0.0, 1.0, 4.0, 2.0, 5.0, 8.0]
    >>> bool(np.array_equal(np.triu(_unpack_upper(_pack_upper(m), 3)), np.triu(m)))
    True
    """
    return np.concatenate([gram[: i + 1, i] for i in range(gram.shape[0])]).astype(np.float32)


def _unpack_upper(packed: np.ndarray, dim: int) -> np.ndarray:
    gram = np.zeros((dim, dim), order="F")
    start = 0
    for i in range(dim):
        gram[: i + 1, i] = packed[start : start + i + 1]
        start += i + 1
    return gram
