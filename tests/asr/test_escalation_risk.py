"""Escalation risk of an utterance: transparent weighted phrases in Korean, Chinese and English."""

from __future__ import annotations

import pytest

from asr import EscalationRiskScorer


@pytest.fixture(scope="module")
def scorer() -> EscalationRiskScorer:
    return EscalationRiskScorer()


@pytest.mark.parametrize(
    ("text", "level", "terms"),
    [
        ("금융감독원에 민원을 넣겠습니다", "medium", ("금융감독원", "민원")),
        (
            "변호사를 통해 소송하겠습니다 언론에도 알리겠습니다",
            "high",
            ("변호사", "소송", "언론"),
        ),
        ("我要向银保监投诉，还要找律师起诉你们", "high", ("银保监", "投诉", "律师", "起诉")),
        ("I'll call my lawyer and the regulator", "high", ("lawyer", "regulator")),
        ("please close  my account", "low", ("close my account",)),
        ("카드가 도착했어요 감사합니다", "none", ()),
        ("this is an issue with the statement", "none", ()),  # "sue" only as a whole word
    ],
)
def test_levels_and_reasons(
    scorer: EscalationRiskScorer, text: str, level: str, terms: tuple[str, ...]
) -> None:
    risk = scorer.score_one(text)
    assert risk.level == level
    assert risk.terms == terms
    assert 0.0 <= risk.score <= 1.0


def test_more_signals_score_higher_and_repeats_count_once(scorer: EscalationRiskScorer) -> None:
    one = scorer.score_one("민원")
    two = scorer.score_one("민원 소송")
    assert two.score > one.score
    assert scorer.score_one("민원 민원 민원").score == one.score


def test_custom_phrases_and_validation() -> None:
    scorer = EscalationRiskScorer({"Ombudsman": 1.0})
    assert scorer.score_one("the OMBUDSMAN").score == 1.0
    with pytest.raises(ValueError):
        EscalationRiskScorer({"x": 1.5})
    with pytest.raises(ValueError):
        EscalationRiskScorer(thresholds=(0.5, 0.2, 0.8))
    assert EscalationRiskScorer({}).score_one("anything").score == 0.0
