"""Chinese complaint texts (written for this test): character n-grams carry the meaning."""

from __future__ import annotations

from online_models import Tagger, default_text_classifier

LABELLED = [
    ("我的信用卡被盗刷了三笔", "card_fraud"),
    ("信用卡出现不明消费，不是我本人操作", "card_fraud"),
    ("卡片被人盗用，在外地刷了好几千", "card_fraud"),
    ("收到短信说我的卡在境外消费，我没出国", "card_fraud"),
    ("有人冒用我的信用卡网上购物", "card_fraud"),
    ("房贷利率为什么上调了", "mortgage"),
    ("申请提前还房贷，银行一直拖着不办", "mortgage"),
    ("房贷每月扣款金额和合同不一致", "mortgage"),
    ("按揭贷款审批太慢，耽误了买房", "mortgage"),
    ("房屋贷款的利息算错了", "mortgage"),
    ("客服电话一直打不通", "service"),
    ("网点柜员态度很差，不耐烦", "service"),
    ("排队两个小时还没轮到我办业务", "service"),
    ("打了三次热线都没人解决问题", "service"),
    ("工作人员推诿，让我去别的网点", "service"),
]
PROBES = [
    ("信用卡被别人盗刷", "card_fraud"),
    ("卡在境外被盗用消费", "card_fraud"),
    ("提前还房贷办不了", "mortgage"),
    ("房贷利息扣多了", "mortgage"),
    ("热线电话打不通", "service"),
    ("柜员态度不好", "service"),
]


def test_chinese_only_model_generalises_to_new_wording() -> None:
    model = default_text_classifier()
    model.learn_many([t for t, _ in LABELLED], [y for _, y in LABELLED])
    predicted = [label for label, _ in model.predict_many([t for t, _ in PROBES])]
    assert predicted == [y for _, y in PROBES]


def test_mixed_english_and_chinese_in_one_model() -> None:
    model = default_text_classifier()
    english = [
        ("someone used my credit card without permission", "card_fraud"),
        ("fraudulent charges on my card", "card_fraud"),
        ("my mortgage rate went up again", "mortgage"),
        ("cannot repay my mortgage early", "mortgage"),
        ("nobody answers the hotline", "service"),
        ("the branch staff were rude", "service"),
    ]
    rows = LABELLED + english
    model.learn_many([t for t, _ in rows], [y for _, y in rows])
    probes = [
        *PROBES,
        ("unknown charges on my credit card", "card_fraud"),
        ("rude staff at the branch", "service"),
    ]
    predicted = [label for label, _ in model.predict_many([t for t, _ in probes])]
    assert predicted == [y for _, y in probes]


def test_full_width_and_half_width_text_agree() -> None:
    model = default_text_classifier()
    model.learn_many([t for t, _ in LABELLED], [y for _, y in LABELLED])
    assert model.predict_many(["ＡＴＭ信用卡被盗刷！"]) == model.predict_many(["ATM信用卡被盗刷!"])


def test_tagger_moves_from_chinese_keywords_to_the_model() -> None:
    tagger = Tagger(
        {"topic": default_text_classifier()},
        keywords={"topic": {"card_fraud": ["盗刷", "盗用"], "mortgage": ["房贷"]}},
        min_seen=len(LABELLED),
    )
    [[cold]] = tagger.predict_many(["我的卡被盗刷"])
    assert (cold.tag, cold.source) == ("card_fraud", "rules")
    assert tagger.predict_many(["柜员态度很差"]) == [[]]
    for text, tag in LABELLED:
        tagger.learn_one(text, "topic", tag)
    [[warm_fraud], [warm_service]] = tagger.predict_many(["我的卡被盗刷", "柜员态度很差"])
    assert (warm_fraud.tag, warm_fraud.source) == ("card_fraud", "model")
    assert (warm_service.tag, warm_service.source) == ("service", "model")
