"""Tagger: keyword rules until a dimension's model is warm and sure, then the model."""

from __future__ import annotations

import dataclasses

import pytest

from online_models import (
    HashedNgrams,
    NaiveBayesTextClassifier,
    Tagger,
    TagResult,
    dumps_signed,
    loads_signed,
)

KEYWORDS = {
    "product": {"credit_card": ["credit card", "信用卡"], "mortgage": ["mortgage", "房贷"]},
}
LABELS = [
    ("my credit card was charged twice", "credit_card"),
    ("信用卡年费太高", "credit_card"),
    ("mortgage interest went up", "mortgage"),
    ("房贷利率上调", "mortgage"),
    ("the loan officer never called back", "personal_loan"),
    ("个人贷款审批太慢", "personal_loan"),
]


def make_tagger(min_seen: int = 4, min_confidence: float = 0.5) -> Tagger:
    return Tagger(
        {
            "product": NaiveBayesTextClassifier(featurizer=HashedNgrams(n_bits=16)),
            "channel": NaiveBayesTextClassifier(featurizer=HashedNgrams(n_bits=16)),
        },
        keywords=KEYWORDS,
        min_seen=min_seen,
        min_confidence=min_confidence,
        name="t",
    )


def test_cold_start_uses_keywords_then_the_model_takes_over() -> None:
    tagger = make_tagger(min_seen=4)
    cold = tagger.predict_many(["我的信用卡被盗刷", "nothing matches here"])
    assert cold == [[TagResult("product", "credit_card", 0.6, "rules", "t-0")], []]

    for text, tag in LABELS[:3]:
        tagger.learn_one(text, "product", tag)
    assert tagger.predict_many(["个人贷款太慢"]) == [[]]  # 3 < min_seen: still cold, no keyword

    for text, tag in LABELS[3:]:
        tagger.learn_one(text, "product", tag)
    warm = tagger.predict_many(["个人贷款审批", "信用卡年费"])
    assert [(r.tag, r.source, r.model_version) for r in warm[0]] == [("personal_loan", "model", "t-6")]
    assert [(r.tag, r.source) for r in warm[1]] == [("credit_card", "model")]
    assert all(0.5 <= r.confidence <= 1.0 for row in warm for r in row)


def test_unsure_model_defers_to_a_keyword_hit() -> None:
    tagger = make_tagger(min_seen=1, min_confidence=0.999)
    tagger.learn_many([t for t, _ in LABELS], "product", [y for _, y in LABELS])
    # The model is unsure about an off-topic text; the keyword decides.
    [result] = tagger.predict_one("is a mortgage something the weather affects")
    assert (result.tag, result.source) == ("mortgage", "rules")
    # Without a keyword hit the unsure model still answers, with its low confidence.
    [guess] = tagger.predict_one("the weather is nice today")
    assert guess.source == "model" and guess.confidence < 0.999


def test_dimensions_learn_independently() -> None:
    tagger = make_tagger(min_seen=1)
    tagger.learn_one("called the hotline", "channel", "phone")
    tagger.learn_one("wrote on wechat", "channel", "wechat")
    results = tagger.predict_one("wechat message about my 房贷")
    by_dim = {r.dimension: r for r in results}
    assert by_dim["channel"].tag == "wechat" and by_dim["channel"].source == "model"
    assert by_dim["product"].tag == "mortgage" and by_dim["product"].source == "rules"


def test_version_changes_when_learning() -> None:
    tagger = make_tagger()
    assert tagger.version == "t-0"
    tagger.learn_one("信用卡", "product", "credit_card")
    tagger.learn_many(["a", "b"], "channel", ["x", "y"])
    assert tagger.version == "t-3"


def test_unknown_dimension_and_bad_keywords_are_refused() -> None:
    tagger = make_tagger()
    with pytest.raises(KeyError, match="unknown dimension"):
        tagger.learn_one("x", "nope", "y")
    with pytest.raises(ValueError, match="unknown dimensions"):
        Tagger({"a": NaiveBayesTextClassifier()}, keywords={"b": {"t": ["w"]}})
    with pytest.raises(ValueError):
        Tagger({})


def test_tag_results_are_frozen() -> None:
    result = TagResult("product", "mortgage", 0.9, "model", "t-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.tag = "other"  # type: ignore[misc]  # deliberate write: checks TagResult is frozen


def test_signed_snapshot_of_a_tagger_keeps_behaviour_and_version() -> None:
    tagger = make_tagger(min_seen=1)
    tagger.learn_many([t for t, _ in LABELS], "product", [y for _, y in LABELS])
    restored = loads_signed(dumps_signed(tagger, b"s" * 32), b"s" * 32)
    assert isinstance(restored, Tagger)
    texts = ["房贷利率", "credit card fee", "贷款审批"]
    assert restored.predict_many(texts) == tagger.predict_many(texts)
    assert restored.version == tagger.version
