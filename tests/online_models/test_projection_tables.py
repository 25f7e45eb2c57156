"""The hashed-once projection tables give the projections the per-call hashing gave.

A trained model's weights only mean something under the projection it learned with: the oracle
below is the per-call hashing the ridges used before the tables, and snapshots pickled by either
must score alike.
"""

from __future__ import annotations

import pickle

import numpy as np
import scipy.fft
import scipy.sparse as sp

from online_models import QuadraticRidgeTextClassifier, RidgeTextClassifier
from online_models.featurizers import HashedNgrams, mix64

TEXTS = ["my card was stolen", "信用卡被盗了", "the atm ate my card", "取款机吞卡", "", "a b c d e f"]


def _old_ridge_projection(model: RidgeTextClassifier, x: sp.csr_matrix) -> np.ndarray:
    n_rows, k = x.shape[0], model.n_projections
    keys = (x.indices.astype(np.uint64)[:, None] * np.uint64(k) + np.arange(k, dtype=np.uint64)) + np.uint64(
        model.seed * 0x9E3779B1
    )
    h = mix64(keys.ravel())
    cols = (h & np.uint64(model.dim - 1)).astype(np.int64)
    signs = np.where((h >> np.uint64(63)) == 0, 1.0, -1.0) / np.sqrt(k)
    lengths = np.diff(x.indptr)
    rows = np.repeat(np.repeat(np.arange(n_rows), lengths), k)
    data = np.repeat(1.0 / np.sqrt(np.maximum(lengths, 1)), lengths) if model.binary else x.data
    values = signs * np.repeat(data, k)
    z = np.bincount(rows * model.dim + cols, weights=values, minlength=n_rows * model.dim)
    return z.reshape(n_rows, model.dim)


def _old_count_sketch(model: QuadraticRidgeTextClassifier, x: sp.csr_matrix, salt: int) -> np.ndarray:
    h = mix64(x.indices.astype(np.uint64) * np.uint64(7) + np.uint64(salt))
    cols = (h & np.uint64(model.dim - 1)).astype(np.int64)
    signs = np.where((h >> np.uint64(63)) == 0, 1.0, -1.0)
    lengths = np.diff(x.indptr)
    presence = np.repeat(1.0 / np.sqrt(np.maximum(lengths, 1)), lengths)
    rows = np.repeat(np.arange(x.shape[0]), lengths)
    sketch = np.bincount(rows * model.dim + cols, weights=signs * presence, minlength=x.shape[0] * model.dim)
    return sketch.reshape(x.shape[0], model.dim)


def test_ridge_projection_matches_per_call_hashing() -> None:
    featurizer = HashedNgrams(n_bits=14)
    x = featurizer.transform_many(TEXTS)
    for binary, seed, k in [(True, 0, 4), (False, 3, 2), (True, 1, 1)]:
        model = RidgeTextClassifier(featurizer, dim=128, n_projections=k, binary=binary, seed=seed)
        np.testing.assert_allclose(model.project(x), _old_ridge_projection(model, x), rtol=1e-5, atol=1e-6)


def test_quadratic_projection_matches_per_call_hashing() -> None:
    featurizer = HashedNgrams(n_bits=14)
    x = featurizer.transform_many(TEXTS)
    model = QuadraticRidgeTextClassifier(featurizer, dim=64, seed=2)
    first = scipy.fft.rfft(_old_count_sketch(model, x, 5), axis=1)
    second = scipy.fft.rfft(_old_count_sketch(model, x, 6), axis=1)
    expected = scipy.fft.irfft(first * second, n=model.dim, axis=1)
    np.testing.assert_allclose(model.project(x), expected, rtol=1e-4, atol=1e-5)


def test_tables_are_not_pickled_and_rebuilt_alike() -> None:
    featurizer = HashedNgrams(n_bits=14)
    for model in (RidgeTextClassifier(featurizer, dim=128), QuadraticRidgeTextClassifier(featurizer, dim=64)):
        model.learn_many(TEXTS[:4], ["theft", "theft", "atm", "atm"])
        before = model.predict_proba_many(TEXTS)
        blob = pickle.dumps(model)
        assert len(pickle.dumps(model)) == len(blob)  # the tables built by predicting stay out
        restored = pickle.loads(blob)
        assert "_table" not in restored.__dict__ and "_sketch_tables" not in restored.__dict__
        assert restored.classes == model.classes
        np.testing.assert_allclose(restored.predict_proba_many(TEXTS), before, rtol=1e-5)
