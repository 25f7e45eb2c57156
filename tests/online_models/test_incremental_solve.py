"""Ridge models re-solve after a few new labels by a Woodbury update: the same model as solving
from scratch, and the kept inverse never reaches a snapshot."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from online_models import HashedNgrams, QuadraticRidgeTextClassifier, RidgeTextClassifier

FEATURES = HashedNgrams(n_bits=14)
BASE = [
    (f"{word} card problem number {i}", label)
    for i in range(40)
    for word, label in (("lost", "lost"), ("stolen", "lost"), ("late", "late"), ("delayed", "late"))
]
CORRECTIONS = [
    (f"my card was {w} again {i}", y) for i in range(30) for w, y in (("taken", "lost"), ("slow", "late"))
]
PROBES = ["lost card", "card late again", "stolen and delayed", "信用卡丢了"]


@pytest.mark.parametrize("kind", [RidgeTextClassifier, QuadraticRidgeTextClassifier])
def test_one_label_at_a_time_equals_all_at_once(kind: type[RidgeTextClassifier]) -> None:
    one_by_one, at_once = kind(FEATURES, dim=256), kind(FEATURES, dim=256)
    for model in (one_by_one, at_once):
        model.learn_many([t for t, _ in BASE], [y for _, y in BASE])
        model.predict_many(PROBES)
    one_by_one.prepare_updates()
    assert one_by_one._inverse is not None
    for text, label in CORRECTIONS:
        one_by_one.learn_one(text, label)
        one_by_one.predict_many(PROBES[:1])  # a re-solve after every label, as a learner does
    assert one_by_one._inverse is not None  # still on the cheap path
    at_once.learn_many([t for t, _ in CORRECTIONS], [y for _, y in CORRECTIONS])
    x = FEATURES.transform_many(PROBES)
    # float32 Gram sums (at once) against float64 rows (one by one): equal to ~1e-6
    np.testing.assert_allclose(one_by_one.score_features(x), at_once.score_features(x), atol=1e-5)
    copy = pickle.loads(pickle.dumps(one_by_one))
    assert copy._inverse is None and copy._rows_since_solve == 0
    np.testing.assert_allclose(copy.score_features(x), one_by_one.score_features(x), atol=1e-6)


def test_a_large_batch_solves_from_scratch_and_keeps_no_inverse() -> None:
    model = RidgeTextClassifier(FEATURES, dim=256)
    model.learn_many([t for t, _ in BASE], [y for _, y in BASE])  # 160 texts > the Woodbury limit
    model.predict_many(PROBES)
    assert model._inverse is None  # a bootstrap does not pay for the inverse
