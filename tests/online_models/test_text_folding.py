"""Chinese read as Chinese: variants, widths and amounts fold to one form, jieba words beside the
character n-grams, mixed Chinese-English text, and the whole of a long narrative counts."""

from __future__ import annotations

from online_models import HashedNgrams, Tagger, default_text_classifier

FEATURES = HashedNgrams(n_bits=18)


def test_traditional_and_simplified_texts_have_the_same_features() -> None:
    assert FEATURES.transform_one("我的信用卡被盜刷了，銀行不處理") == FEATURES.transform_one(
        "我的信用卡被盗刷了，银行不处理"
    )


def test_full_width_and_amounts_fold_to_one_form() -> None:
    same = [
        FEATURES.transform_one(t)
        for t in ("被扣了3.5万元", "被扣了35000元", "被扣了35,000元", "被扣了３５０００元")
    ]
    assert all(features == same[0] for features in same)
    assert FEATURES.transform_one("被扣了350元") != same[0]  # another order of magnitude


def test_chinese_words_come_from_jieba_and_characters_cross_word_boundaries() -> None:
    chars, words = FEATURES.tokens("手机银行APP闪退无法转账")
    assert chars == ["手机银行", "app", "闪退无法转账"]
    assert words[:3] == ["手机", "银行", "app"] and "转账" in words


def test_the_whole_of_a_long_text_counts() -> None:
    head = "the bank charged me a fee. " * 400  # ~10,800 characters
    assert FEATURES.transform_one(head + "mortgage escrow") != FEATURES.transform_one(head + "student loan")


def test_mixed_chinese_english_complaints_are_tagged() -> None:
    model = default_text_classifier()
    rows = [
        ("APP闪退，无法登录手机银行", "app"),
        ("手机银行app一直闪退", "app"),
        ("mobile app crashes at login", "app"),
        ("信用卡年费乱收费", "fees"),
        ("annual fee charged on my credit card", "fees"),
        ("信用卡被收了不明手续费", "fees"),
    ]
    tagger = Tagger({"d": model}, min_seen=0, memory_size=0)
    tagger.learn_many([t for t, _ in rows], "d", [y for _, y in rows])
    tags = tagger.predict_many(["登录APP后闪退", "credit card 年费 charged twice"])
    assert [t[0].tag for t in tags] == ["app", "fees"]
