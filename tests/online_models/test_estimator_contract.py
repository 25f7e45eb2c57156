"""Every text classifier goes through the same checks: learn, predict, pickle, clone."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import pytest

from online_models import (
    BlendedTextClassifier,
    CentroidTextClassifier,
    GatedBlendTextClassifier,
    HashedNgrams,
    NaiveBayesTextClassifier,
    QuadraticRidgeTextClassifier,
    RidgeTextClassifier,
    TextClassifier,
    TextClassifierBase,
    default_text_classifier,
)

Factory = Callable[[], TextClassifierBase]
SMALL = HashedNgrams(n_bits=16)

ESTIMATORS: dict[str, Factory] = {
    "naive_bayes": lambda: NaiveBayesTextClassifier(featurizer=SMALL),
    "ridge": lambda: RidgeTextClassifier(featurizer=SMALL, dim=256),
    "quadratic_ridge": lambda: QuadraticRidgeTextClassifier(featurizer=SMALL, dim=1024),
    "blend": lambda: BlendedTextClassifier(
        [NaiveBayesTextClassifier(SMALL), RidgeTextClassifier(SMALL, dim=256)], weights=[1.0, 10.0]
    ),
    "centroid": lambda: CentroidTextClassifier(featurizer=SMALL),
    "gated_blend": lambda: GatedBlendTextClassifier(
        [NaiveBayesTextClassifier(SMALL), CentroidTextClassifier(SMALL), RidgeTextClassifier(SMALL, dim=256)],
        short_weights=[1.0, 0.0, 10.0],
        broad_weights=[0.0, 1.0, 1.0],
    ),
    "default": default_text_classifier,
}

DATA = [
    ("my card was stolen yesterday", "card_theft"),
    ("someone stole my credit card", "card_theft"),
    ("我的信用卡被偷了", "card_theft"),
    ("信用卡被盗刷", "card_theft"),
    ("the atm swallowed my card", "atm"),
    ("atm did not give me any cash", "atm"),
    ("取款机吞卡了", "atm"),
    ("自动取款机没有出钞", "atm"),
    ("the interest on my mortgage went up", "mortgage"),
    ("房贷利率上调了", "mortgage"),
]
PROBES = [
    ("my card got stolen", "card_theft"),
    ("信用卡被偷", "card_theft"),
    ("atm kept my card", "atm"),
    ("取款机没出钞", "atm"),
    ("mortgage interest", "mortgage"),
    ("房贷利率", "mortgage"),
]


@pytest.fixture(params=sorted(ESTIMATORS))
def make(request: pytest.FixtureRequest) -> Factory:
    return ESTIMATORS[request.param]


def trained(make: Factory) -> TextClassifierBase:
    model = make()
    model.learn_many([t for t, _ in DATA], [y for _, y in DATA])
    return model


def test_untrained_model_predicts_nothing(make: Factory) -> None:
    model = make()
    assert isinstance(model, TextClassifier)
    assert model.n_seen == 0 and model.classes == []
    assert model.predict_one("anything") is None
    assert model.predict_proba_one("anything") == {}
    assert model.predict_many(["a", "b"]) == [(None, 0.0), (None, 0.0)]


def test_learns_english_and_chinese(make: Factory) -> None:
    model = trained(make)
    assert model.n_seen == len(DATA)
    assert model.classes == ["card_theft", "atm", "mortgage"]
    predictions = model.predict_many([t for t, _ in PROBES])
    assert [label for label, _ in predictions] == [y for _, y in PROBES]
    for _, confidence in predictions:
        assert 0.0 <= confidence <= 1.0
    proba = model.predict_proba_one("房贷利率")
    assert set(proba) == set(model.classes)
    assert sum(proba.values()) == pytest.approx(1.0)
    assert max(proba, key=proba.__getitem__) == "mortgage"


def test_learn_one_matches_learn_many(make: Factory) -> None:
    one_by_one = make()
    for text, label in DATA:
        one_by_one.learn_one(text, label)
    batched = trained(make)
    texts = [t for t, _ in PROBES]
    assert one_by_one.n_seen == batched.n_seen
    a, b = one_by_one.predict_many(texts), batched.predict_many(texts)
    assert [label for label, _ in a] == [label for label, _ in b]
    assert [conf for _, conf in a] == pytest.approx([conf for _, conf in b])


def test_a_new_class_can_appear_later(make: Factory) -> None:
    model = trained(make)
    model.learn_one("wechat pay refund missing", "refund")
    model.learn_one("微信支付退款没到账", "refund")
    assert model.classes[-1] == "refund"
    assert model.predict_one("退款没到账") == "refund"
    assert model.predict_one("atm swallowed card") == "atm"


def test_pickle_round_trip_keeps_predictions_and_learning(make: Factory) -> None:
    model = trained(make)
    model.learn_one("queued but not yet flushed", "atm")
    copy = pickle.loads(pickle.dumps(model))
    texts = [t for t, _ in PROBES] + ["queued but not yet flushed"]
    assert copy.predict_many(texts) == model.predict_many(texts)
    assert copy.n_seen == model.n_seen and copy.classes == model.classes
    model.learn_one("房贷提前还款", "mortgage")
    copy.learn_one("房贷提前还款", "mortgage")
    # the original re-solves incrementally (Woodbury) from its float64 Gram matrix, the copy from
    # scratch from the float32 one it was shipped: equal up to rounding
    after, copied = model.predict_many(texts), copy.predict_many(texts)
    assert [label for label, _ in copied] == [label for label, _ in after]
    assert [conf for _, conf in copied] == pytest.approx([conf for _, conf in after], rel=1e-6)


def test_clone_is_untrained_with_same_parameters(make: Factory) -> None:
    model = trained(make)
    fresh = model.clone()
    assert type(fresh) is type(model)
    assert repr(fresh) == repr(model)  # same hyperparameters, recursively
    assert fresh.n_seen == 0 and fresh.classes == []
    fresh.learn_one("only in the clone", "other")
    assert "other" not in model.classes


def test_mismatched_batch_is_refused(make: Factory) -> None:
    with pytest.raises(ValueError):
        make().learn_many(["a", "b"], ["x"])


def test_text_without_features_gets_no_label(make: Factory) -> None:
    assert trained(make).predict_many(["", "？！"]) == [(None, 0.0), (None, 0.0)]


def test_models_do_not_depend_on_stream_order(make: Factory) -> None:
    forward, backward = make(), make()
    for text, label in DATA:
        forward.learn_one(text, label)
    for text, label in reversed(DATA):
        backward.learn_one(text, label)
    texts = [t for t, _ in PROBES]
    order = [forward.classes.index(c) for c in backward.classes]
    assert np.allclose(
        forward.predict_proba_many(texts)[:, order], backward.predict_proba_many(texts), atol=1e-6
    )
