"""Writes ``pii_cases.jsonl``: complaint sentences with generated personal data and near misses.

Run ``python -m tests.privacy.make_pii_cases`` to regenerate (deterministic: fixed seed). Every
number is generated (valid Luhn, valid resident-ID check digits, phone numbers valid for their
plan) and every name is a random surname and given name: no real person's data. Each line is
``{"text": ..., "expected": [{"kind": ..., "value": ...}]}`` with ``value`` as written in the
text; near-miss sentences (order numbers, amounts, dates, service numbers) expect nothing. A few
realistic cases the redactor is known to miss carry ``"known_miss": true``: they count against
recall and are reported, not hidden.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric

SEED = 20240301
OUT = Path(__file__).with_name("pii_cases.jsonl")

Case = dict[str, Any]
Value = tuple[str, str]  # (kind, value as written)

_REGIONS = ["110101", "310104", "440305", "510107", "330106", "320102", "420106", "370102", "610113"]
_CARD_PREFIXES = {
    "622202": (16, 19), "621700": (19,), "622848": (19,), "436742": (16,), "622588": (16,),
    "518710": (16,), "625965": (16,), "403391": (16,), "356833": (16,), "621483": (16,),
}  # fmt: skip
_AREAS = ["010", "021", "020", "022", "023", "0755", "0571", "0512", "0731", "0898", "0371"]
_INTL_REGIONS = ["GB", "US", "HK", "SG", "AU", "JP", "CA", "DE", "FR", "MO", "TW", "MY"]
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马胡朱郭何罗高林郑梁谢唐宋许邓冯韩曹彭蔡潘田董袁叶蒋杜苏魏程")
_DOUBLE_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "慕容"]
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞刚桂英玉兰萍红鹏飞斌宇浩凯辉琳晨欣怡婷雪健波俊峰佳慧")
_EN_FIRST = ["Sarah", "John", "Emily", "Michael", "Wei", "Li", "Mei", "David", "Anna", "James", "Lucy"]
_EN_LAST = ["Smith", "Miller", "Zhang", "Wang", "Chen", "Brown", "Johnson", "Liu", "Taylor", "Wong"]
_PINYIN = ["zhangwei", "li.na", "wang_fang", "liuyang", "chen.jing", "yangli", "huang.min", "zhaolei"]
_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "example.com.cn"]


class Generator:
    """Random, valid-looking test values from one seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def card(self, spaced: str | None = None) -> str:
        prefix = self.rng.choice(list(_CARD_PREFIXES))
        length = self.rng.choice(_CARD_PREFIXES[prefix])
        body = prefix + self.digits(length - len(prefix) - 1)
        number = body + luhn.calc_check_digit(body)
        sep = spaced if spaced is not None else self.rng.choice(["", "", " ", "-"])
        return sep.join(number[i : i + 4] for i in range(0, len(number), 4)) if sep else number

    def amex(self) -> str:
        body = self.rng.choice(["34", "37"]) + self.digits(12)
        number = body + luhn.calc_check_digit(body)
        return f"{number[:4]} {number[4:10]} {number[10:]}"

    def birth(self, first: int = 1950, last: int = 2005) -> str:
        year = self.rng.randint(first, last)
        return f"{year}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}"

    def resident_id(self, want_x: bool = False) -> str:
        while True:
            body = self.rng.choice(_REGIONS) + self.birth() + self.digits(3)
            check = ric.calc_check_digit(body + "0")
            if (check == "X") == want_x:
                return body + (check if not want_x else self.rng.choice("Xx"))

    def old_resident_id(self) -> str:
        return self.rng.choice(_REGIONS) + self.birth(1940, 1990)[2:] + self.digits(3)

    def mobile(self, style: str | None = None) -> str:
        number = "1" + self.rng.choice("3456789") + self.digits(9)
        a, b, c = number[:3], number[3:7], number[7:]
        styles = {
            "plain": number, "spaced": f"{a} {b} {c}", "dashed": f"{a}-{b}-{c}",
            "plus86": f"+86 {a} {b} {c}", "plus86plain": f"+86{number}", "0086": f"0086 {number}",
            "plus86dash": f"+86-{a}-{b}-{c}",
        }  # fmt: skip
        key = style or self.rng.choice(["plain", "plain", "plain", *styles])
        return styles[key]

    def landline(self) -> str:
        area = self.rng.choice(_AREAS)
        local = self.rng.choice("2345678") + self.digits(7 if len(area) == 3 else self.rng.choice([6, 7]))
        if len(local) == 8:
            return self.rng.choice([f"{area}-{local}", f"{area} {local[:4]} {local[4:]}", area + local])
        return self.rng.choice([f"{area}-{local}", f"{area}-{local[:3]}-{local[3:]}"])

    def international(self) -> str:
        region = self.rng.choice(_INTL_REGIONS)
        kind = self.rng.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
        example = phonenumbers.example_number_for_type(region, kind)
        national = str(example.national_number)
        while True:
            candidate = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{self.digits(4)}")
            if phonenumbers.is_valid_number(candidate):
                return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def email(self) -> str:
        local = self.rng.choice(
            [
                self.rng.choice(_PINYIN) + self.digits(self.rng.choice([0, 2, 4])),
                self.mobile("plain"),
                self.digits(9),
            ]
        )
        return f"{local}@{self.rng.choice(_DOMAINS)}"

    def account(self) -> str:
        while True:
            number = self.rng.choice("123456789") + self.digits(self.rng.randint(9, 21))
            if 13 <= len(number) <= 19 and luhn.is_valid(number):
                continue
            if number.startswith(("19", "20")) or (number[0] == "1" and len(number) == 11):
                continue
            if len(number) == 15 and 1 <= int(number[8:10]) <= 12 and 1 <= int(number[10:12]) <= 31:
                continue  # reads as an old resident ID (its birth date)
            if len(number) == 18 and ric.calc_check_digit(number) == number[-1]:
                continue
            if self.rng.random() < 0.3:
                return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
            return number

    def name_zh(self) -> str:
        surname = self.rng.choice(_DOUBLE_SURNAMES) if self.rng.random() < 0.1 else self.rng.choice(_SURNAMES)
        return surname + "".join(self.rng.choice(_GIVEN) for _ in range(self.rng.choice([1, 2, 2])))

    def name_en(self) -> str:
        return f"{self.rng.choice(_EN_FIRST)} {self.rng.choice(_EN_LAST)}"

    # near-miss fillers
    def amount(self) -> str:
        return self.rng.choice(
            [str(self.rng.randint(50, 99999)), f"{self.rng.randint(1, 99)}.{self.digits(2)}"]
        )

    def money(self) -> str:
        n = self.rng.randint(100, 99999)
        return self.rng.choice(
            [f"¥{n:,}.00", f"{n}元", f"{n / 10000:.1f}万", f"${n}", f"RMB {n}", f"{n:,}元"]
        )

    def date(self) -> str:
        d = self.birth(2022, 2025)
        return self.rng.choice(
            [
                f"{d[:4]}-{d[4:6]}-{d[6:]}",
                f"{d[:4]}年{int(d[4:6])}月{int(d[6:])}日",
                d,
                f"{d[:4]}/{d[4:6]}/{d[6:]}",
            ]
        )

    def time(self) -> str:
        return f"{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}"

    def order(self) -> str:
        return self.birth(2022, 2025) + self.digits(self.rng.choice([8, 10, 12]))

    def reference(self) -> str:
        while True:
            number = self.rng.choice("123456789") + self.digits(self.rng.choice([11, 15, 19, 23]))
            if not (13 <= len(number) <= 19 and luhn.is_valid(number)):
                return number


def _case(text: str, values: list[Value], known_miss: bool = False) -> Case:
    for _, value in values:
        assert value in text, (value, text)
    case: Case = {"text": text, "expected": [{"kind": k, "value": v} for k, v in values]}
    if known_miss:
        case["known_miss"] = True
    return case


Template = Callable[[Generator], Case]


def sentence(pattern: str, **makers: Callable[[Generator], str]) -> Template:
    """A template whose fields named after a kind ({card}, {phone}, ...) are personal data and
    whose other fields ({date}, {money}, ...) are near-miss fillers."""
    fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name]

    def build(g: Generator) -> Case:
        values = {kind: make(g) for kind, make in makers.items()}
        fillers = {name: _FILLERS[name](g) for name in fields if name not in values}
        return _case(pattern.format(**values, **fillers), list(values.items()))

    return build


_FILLERS: dict[str, Callable[[Generator], str]] = {
    "amount": Generator.amount,
    "money": Generator.money,
    "date": Generator.date,
    "time": Generator.time,
    "order": Generator.order,
    "reference": Generator.reference,
}


def _positives() -> list[Template]:
    """Sentences holding personal data, Chinese and English."""
    return [
        sentence("我的信用卡{card}昨天被盗刷了三笔，共计{amount}元，请尽快处理。", card=Generator.card),
        sentence("储蓄卡{card}在{date}被扣了{money}，我根本没有消费。", card=Generator.card),
        sentence("卡号：{card}，ATM吞卡了，网点说要等五个工作日。", card=Generator.card),
        sentence("你们把我的借记卡 {card} 冻结了，没有任何通知。", card=Generator.card),
        sentence(
            "My debit card {card} was charged twice for the same purchase on {date}.", card=Generator.card
        ),
        sentence(
            "Card number {card} was blocked while I was travelling, please unblock it.", card=Generator.card
        ),
        sentence("我的运通卡 {card} 境外消费被拒。", card=Generator.amex),
        sentence(
            "The Amex card {card} shows a foreign transaction fee I never agreed to.", card=Generator.amex
        ),
        sentence("身份证号{id}，开户时被要求重复提交材料。", id=Generator.resident_id),
        sentence("本人身份证 {id} 被他人冒用办理了贷款，我要求立即核查！", id=Generator.resident_id),
        sentence("证件号码：{id}，网银一直提示证件信息不符。", id=lambda g: g.resident_id(want_x=True)),
        sentence(
            "My ID number is {id} and the branch refused to open the account.", id=Generator.resident_id
        ),
        sentence("我用的还是旧身份证{id}，柜台说系统识别不了。", id=Generator.old_resident_id),
        sentence("老人的身份证号是{id}，无法办理社保卡激活。", id=Generator.old_resident_id),
        sentence("我的手机号{phone}一直收到催收短信，我根本没有贷款！", phone=Generator.mobile),
        sentence("请回电{phone}，我已经打了三次客服电话了。", phone=Generator.mobile),
        sentence("你们的催收员每天给我{phone}打二十多个电话。", phone=Generator.mobile),
        sentence("Please call me back on {phone}, nobody has replied in a week.", phone=Generator.mobile),
        sentence("They keep calling {phone} about a loan I never took.", phone=Generator.mobile),
        sentence("单位座机{phone}也接到了催收电话，影响很坏。", phone=Generator.landline),
        sentence("联系电话{phone}，工作日白天都可以。", phone=Generator.landline),
        sentence("Call my office on {phone} during working hours.", phone=Generator.landline),
        sentence("我在国外，请打{phone}联系我，信用卡被冻结了。", phone=Generator.international),
        sentence(
            "I live abroad, my number is {phone}, please do not call the old one.",
            phone=Generator.international,
        ),
        sentence("请把对账单发到{email}，纸质的一直没收到。", email=Generator.email),
        sentence("邮箱 {email} 收到了钓鱼邮件，冒充贵行的。", email=Generator.email),
        sentence("Send the dispute form to {email} please.", email=Generator.email),
        sentence("My e-mail {email} received a statement that is not mine.", email=Generator.email),
        sentence("我的账号是{account}，转账{amount}元一直显示处理中。", account=Generator.account),
        sentence("收款账户：{account}，钱已经扣了但对方没收到。", account=Generator.account),
        sentence("对公账户 {account} 被无故冻结，影响公司发工资。", account=Generator.account),
        sentence("Account number {account} was frozen without any notice.", account=Generator.account),
        sentence("Please refund to my acct {account} as promised on {date}.", account=Generator.account),
        sentence("The transfer from a/c {account} never arrived.", account=Generator.account),
        sentence("我叫{name}，上周在贵行办理的理财产品亏损严重。", name=Generator.name_zh),
        sentence("姓名：{name}，投诉贵行客服态度恶劣。", name=Generator.name_zh),
        sentence("本人{name}，于{date}在ATM取款时卡被吞。", name=Generator.name_zh),
        sentence("我是{name}，我的信用卡年费被重复扣收。", name=Generator.name_zh),
        sentence("客户{name}反映其账户被冻结，要求尽快解冻。", name=Generator.name_zh),
        sentence("户名：{name}，转账时提示户名不符。", name=Generator.name_zh),
        sentence("Hello, my name is {name} and I want to complain about a late fee.", name=Generator.name_en),
        sentence("Name: {name}. My loan application was rejected without reason.", name=Generator.name_en),
    ]


def _mixed() -> list[Template]:
    """Several kinds in one complaint, as real ones often are."""

    def asr(g: Generator) -> Case:
        name = g.name_zh()
        spoken = " ".join("零一二三四五六七八九"[int(d)] for d in g.mobile("plain"))
        spaced = " ".join(name)
        text = f"喂 你好 我 叫 {spaced} 我的 手机 是 {spoken} 信用卡 被 盗刷 了"
        return _case(text, [("name", spaced), ("phone", spoken)])

    def fullwidth(g: Generator) -> Case:
        phone = g.mobile("plain").translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        card = g.card("").translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        text = f"手机{phone}，卡号{card}，扣了{g.money()}。"
        return _case(text, [("phone", phone), ("card", card)])

    return [
        sentence(
            "我叫{name}，卡号{card}，在{date}被盗刷{money}，请打{phone}联系我。",
            name=Generator.name_zh,
            card=Generator.card,
            phone=Generator.mobile,
        ),
        sentence(
            "身份证{id}，手机{phone}，邮箱{email}，订单号{order}的退款没到。",
            id=Generator.resident_id,
            phone=Generator.mobile,
            email=Generator.email,
        ),
        sentence(
            "本人{name}，账号{account}，于{date} {time}转出{money}后被冻结，客服95555无人接听。",
            name=Generator.name_zh,
            account=Generator.account,
        ),
        sentence(
            "My name is {name}. Card {card} was charged {money} on {date}; email me at {email}.",
            name=Generator.name_en,
            card=Generator.card,
            email=Generator.email,
        ),
        sentence(
            "Reference {reference}: account number {account} is frozen, call {phone}.",
            account=Generator.account,
            phone=Generator.international,
        ),
        sentence("my name is wrong on my card {card}, please fix it", card=Generator.card),
        asr,
        fullwidth,
    ]


def _near_misses(g: Generator) -> list[Template]:
    """Numbers and words that look like personal data and are not."""

    def luhn_order() -> str:  # a date-stamped order number that happens to pass Luhn
        body = g.order()[:-1]
        return body + luhn.calc_check_digit(body)

    patterns: list[Callable[[], str]] = [
        lambda: f"订单号{g.order()}的退款到现在还没到账，已经等了{g.rng.randint(3, 30)}天。",
        lambda: f"订单号 {luhn_order()} 显示已退款，但我没收到。",
        lambda: f"交易流水号{g.reference()}显示扣款{g.money()}，但商户说没收到。",
        lambda: f"我在{g.date()}转账{g.money()}，对方一直没收到。",
        lambda: f"信用卡尾号{g.digits(4)}的卡片被扣了年费{g.money()}。",
        lambda: "贵行客服电话95555一直打不通，我已经向12378投诉了。",
        lambda: f"贷款利率{g.rng.randint(3, 24)}.{g.digits(2)}%太高了，合同编号{g.order()}。",
        lambda: f"{g.date()} {g.time()}收到短信说我的额度调到{g.rng.randint(1, 20)}万。",
        lambda: (
            f"分期{g.rng.choice([3, 6, 12, 24])}期，每期还款{g.money()}，"
            f"手续费{g.rng.randint(1, 9)}.{g.digits(1)}%。"
        ),
        lambda: "我是贵行的老客户了，这次的处理让我很失望。",
        lambda: f"本人在{g.date()}办理的业务至今没有结果。",
        lambda: f"客户经理说{g.rng.randint(3, 15)}个工作日内回复，到现在都没消息。",
        lambda: "我是黄金卡客户，为什么还要收年费？",
        lambda: "客户马上要出国，急需解冻账户。",
        lambda: f"网点号{g.digits(5)}的工作人员态度很差。",
        lambda: f"工单号GD{g.order()}一直显示处理中。",
        lambda: f"账户余额只剩{g.amount()}元，明明我存了{g.money()}。",
        lambda: f"我的账户在{g.date()}被冻结了，没有任何通知。",
        lambda: (
            f"交易时间{g.birth(2023, 2025)}{g.rng.randint(10, 23)}{g.digits(2)}{g.rng.randint(10, 59)}，"
            f"金额{g.money()}。"
        ),
        lambda: f"验证码{g.digits(6)}收到了但是无法登录手机银行。",
        lambda: "我打了10086和95588都没用，400-820-8888也占线。",
        lambda: (
            f"年化利率{g.rng.randint(3, 18)}.{g.digits(1)}%，贷款{g.rng.randint(5, 90)}万元，"
            f"期限{g.rng.choice([12, 24, 36])}个月。"
        ),
        lambda: f"快递单号{g.reference()}的信用卡一直没寄到。",
        lambda: "本人申请的信用卡被拒，客户申诉也没人理。",
        lambda: "我是工商银行的客户，在贵行的ATM跨行取款被扣费。",
        lambda: f"客户于{g.date()}来电，称周一已经还款{g.money()}。",
        lambda: f"Order number {g.order()} was refunded but I never received the money.",
        lambda: f"I was charged {g.money()} twice on {g.date()} at {g.time()}.",
        lambda: f"My card ending in {g.digits(4)} was declined at {g.time()}.",
        lambda: f"Reference {g.reference()} shows the transfer of {g.money()} on {g.date()}.",
        lambda: "I called 95588 and the hotline 400-820-8888 but nobody answered.",
        lambda: (
            f"The interest rate went from {g.rng.randint(3, 9)}.{g.digits(2)}% "
            f"to {g.rng.randint(10, 24)}.{g.digits(2)}% without notice."
        ),
        lambda: f"Transaction ID {g.reference()} from {g.date()} is still pending.",
        lambda: f"My account was frozen on {g.date()} and nobody explains why.",
        lambda: f"I have been a customer of your bank for {g.rng.randint(2, 30)} years.",
        lambda: (
            f"Branch code {g.digits(5)}, loan term {g.rng.choice([12, 24, 36])} months, "
            f"{g.money()} outstanding."
        ),
        lambda: f"My account balance dropped by {g.money()} on {g.date()}.",
        lambda: f"My name is on the card but the statement for {g.date()} is wrong.",
    ]
    return [lambda g, make=make: _case(make(), []) for make in patterns]


def _known_misses(g: Generator) -> list[Case]:
    """Realistic forms the redactor does not catch (see the module docstrings for why)."""
    return [
        _case(
            f"我叫王在田，卡被吞了，电话{(m := g.mobile('plain'))}。",
            [("name", "王在田"), ("phone", m)],
            True,
        ),
        _case(f"姓名覃{(n := '海峰')}，转账失败。", [("name", "覃" + n)], True),
        _case(f"客户叫{(n := g.name_zh())}，反映被乱收费。", [("name", n)], True),
        _case(
            f"手机号 {(p := g.mobile('plain'))[:3]}.{p[3:7]}.{p[7:]}",
            [("phone", f"{p[:3]}.{p[3:7]}.{p[7:]}")],
            True,
        ),
        _case(
            f"电话 (0755) {(p := g.rng.choice('2345678') + g.digits(3))} {(q := g.digits(4))}",
            [("phone", f"(0755) {p} {q}")],
            True,
        ),
        _case(f"call me at 001 {(p := '415 555 ' + g.digits(4))}", [("phone", f"001 {p}")], True),
        _case(f"转账金额5000 {(c := g.card(' '))}", [("card", c)], True),
    ]


def build_cases(seed: int = SEED) -> list[Case]:
    """Every case of the set, in a fixed order for a seed."""
    g = Generator(seed)
    cases: list[Case] = []
    for rounds, templates in ((5, _positives()), (6, _mixed()), (3, _near_misses(g))):
        for _ in range(rounds):
            cases.extend(template(g) for template in templates)
    cases.extend(_known_misses(g))
    return cases


def main() -> None:
    cases = build_cases()
    OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")


if __name__ == "__main__":
    main()
