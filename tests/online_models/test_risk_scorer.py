"""Risk scores for complaints and call utterances, in Chinese and English, with their reasons."""

from __future__ import annotations

import dataclasses

import pytest

from online_models import DEFAULT_RISK_PATTERNS, RiskPattern, RiskScore, RiskScorer

SCORER = RiskScorer()


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("我要打12378投诉你们", {"regulator"}),
        ("再不解决我就向银保监会举报", {"regulator"}),
        ("I'm reporting this to the financial ombudsman", {"regulator"}),
        ("我已经找了律师，准备起诉", {"legal"}),
        ("I will see you in court, my solicitor has the papers", {"legal"}),
        ("我要找媒体曝光，发到微博上", {"media"}),
        ("I'll go to the press and post it on social media", {"media"}),
        ("我母亲是八十岁的退休老人，看不清合同", {"vulnerable"}),
        ("I'm a pensioner with dementia in the family", {"vulnerable"}),
        ("你们就是骗子，太过分了", {"anger"}),
        ("This is absolutely ridiculous and unacceptable", {"anger"}),
        ("这已经是第三次投诉了，一直没解决", {"repeat_complaint"}),
        ("再不退钱我就跳楼", {"self_harm"}),
    ],
)
def test_each_risk_is_found_in_either_language(text: str, categories: set[str]) -> None:
    result = SCORER.score_one(text)
    assert set(result.categories) == categories, result
    assert 0.0 < result.score <= 1.0
    assert all(r.phrase.lower() in text.lower() or r.phrase == "shouting" for r in result.reasons)


def test_ordinary_complaints_score_zero() -> None:
    for text in (
        "My card still hasn't arrived",
        "Is there any news on my card?",
        "Please press the button to continue",
        "信用卡年费太高了",
        "我的房贷利率什么时候调整",
        "",
    ):
        assert SCORER.score_one(text) == RiskScore(0.0, ()), text


def test_threats_add_up_but_stay_below_one() -> None:
    single = SCORER.score_one("我要去法院起诉")
    double = SCORER.score_one("我要去法院起诉，还要找记者曝光")
    triple = SCORER.score_one("我要去法院起诉，还要找记者曝光，再打12378")
    assert single.score < double.score < triple.score < 1.0
    assert triple.score == pytest.approx(1 - (1 - 0.55) * (1 - 0.5) * (1 - 0.6))
    # strongest reason first
    assert [r.weight for r in triple.reasons] == sorted((r.weight for r in triple.reasons), reverse=True)


def test_negated_threats_do_not_count() -> None:
    assert SCORER.score_one("I will not sue, I just want my money").score == 0.0
    assert SCORER.score_one("我不会去法院的，只想退款").score == 0.0
    assert SCORER.score_one("I'm not happy, and I will sue").categories == ("legal",)


def test_shouting_is_anger() -> None:
    assert SCORER.score_one("WHERE IS MY MONEY I WANT IT NOW").categories == ("anger",)
    assert SCORER.score_one("还钱！！！").categories == ("anger",)
    assert SCORER.score_one("My ATM PIN is blocked").score == 0.0  # a few capitals are not shouting


def test_custom_patterns_and_validation() -> None:
    scorer = RiskScorer([RiskPattern("vip", 0.2, ("private banking", "私人银行"))])
    assert scorer.score_one("私人银行客户").reasons[0] == dataclasses.replace(
        scorer.score_one("私人银行客户").reasons[0], category="vip", phrase="私人银行", weight=0.2
    )
    assert scorer.score_one("going to court").score == 0.0
    with pytest.raises(ValueError, match="weight"):
        RiskPattern("x", 1.5, ("a",))
    with pytest.raises(ValueError, match="phrases"):
        RiskPattern("x", 0.5, ())
    assert {p.category for p in DEFAULT_RISK_PATTERNS} >= {
        "regulator",
        "media",
        "legal",
        "anger",
        "vulnerable",
    }


def test_score_many_matches_score_one() -> None:
    texts = ["我要起诉", "fine", "call the police!!!"]
    assert SCORER.score_many(texts) == [SCORER.score_one(t) for t in texts]
