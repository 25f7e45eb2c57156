"""Generate ``zh_complaints.csv``: the Chinese bootstrap set Hotline Monitor ships for its demo.

Every row is synthetic: the situations, demands and speaking styles below were written by hand
for this project (no real complaint, customer, bank, card, phone or ID number is in them), then
combined at random with a fixed seed, so the file is the same on every run::

    python data/bootstrap/make_zh_complaints.py            # rewrites zh_complaints.csv beside it

A row is a *scene* (a business line x cause pair with its own hand-written situations) told in
one of six registers: a spoken hotline transcript (喂/那个/就是 fillers), a written web-form
complaint, a longer letter (what happened since, the demand), terse app feedback, a WeChat
message, or a branch work order. Some rows are turned into traditional characters, some mix in
English words or half-width punctuation. A candidate whose
character bag overlaps an accepted row by more than ``MAX_OVERLAP`` (Dice coefficient over the
non-punctuation characters) is dropped, so no two rows are near-duplicates.

Pure standard library; see README.md beside this file for the columns, counts and limits.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEED = 20240611
OUT = Path(__file__).with_name("zh_complaints.csv")
#: Largest character overlap (Dice over non-punctuation characters) between any two rows.
MAX_OVERLAP = 0.68
MIN_LEN, MAX_LEN = 10, 200
MIN_PER_TAG = 25
ATTEMPTS_PER_ROW = 60

#: Tag ids of the taxonomy's business_line dimension (config/taxonomy.yaml), parents and children.
BUSINESS_LINES = (
    "credit_card",
    "personal_loan",
    "mortgage",
    "consumer_loan",
    "business_loan",
    "debit_card_deposit",
    "wealth_management",
    "insurance_agency",
    "payment_settlement",
    "foreign_exchange",
    "e_banking",
    "precious_metals",
    "other_business",
)
#: Tag ids of the taxonomy's cause dimension.
CAUSES = (
    "fees_pricing",
    "interest_rate",
    "sales_practice",
    "information_disclosure",
    "contract_terms",
    "debt_collection",
    "service_attitude",
    "system_failure",
    "personal_information",
    "funds_security",
    "business_process",
    "approval",
    "other_cause",
)


@dataclass(frozen=True)
class Scene:
    """One business line x cause pair: hand-written situations, told ``rows`` times.

    ``facts`` are full situations (with ``{slot}`` fields, see :func:`slots`), ``terse`` short
    app-feedback forms, ``details`` optional follow-up sentences specific to the scene, ``demands``
    what the customer asks for when the cause's general demands (:data:`DEMANDS`) do not fit.
    """

    business_line: str
    cause: str
    rows: int
    facts: tuple[str, ...]
    terse: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()


# -- slot values ------------------------------------------------------------------------------------
_CN = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """Chinese numerals for 1..99 (两 for a lone 2)."""
    if n == 2:
        return "两"
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN[tens]
    return f"{head}十{_CN[ones] if ones else ''}"


def _tiny_fee(rng: random.Random) -> str:
    """A monthly or per-use fee of a few yuan (SMS notices, account management, a withdrawal)."""
    return rng.choice(
        (
            "2元",
            "3块钱",
            "5元",
            "两块",
            "十块",
            "6块",
            "1.5元",
            "3元",
            "四块钱",
            "12元",
            "八块",
        )
    )


def _small_amount(rng: random.Random) -> str:
    """A fee-sized amount, 10 to 999 yuan, in one of the ways people write it."""
    value = rng.choice((15, 18, 20, 25, 30, 36, 45, 50, 60, 80, 88, 99, 100, 120, 150, 180, 200, 260, 300))
    if rng.random() < 0.15:
        value = rng.choice((360, 480, 500, 580, 600, 680, 800, 960))
    style = rng.randrange(6)
    if style == 0:
        return f"{value}元"
    if style == 1:
        return f"{value}块"
    if style == 2:
        return f"{value}块钱"
    if style == 3 and value < 100:
        return f"{_cn_number(value)}块钱"
    if style == 4 and value >= 100:
        hundreds = value // 100
        return f"{'两' if hundreds == 2 else _CN[hundreds]}百多块"
    return f"{value}.00元"


#: 1,000 to 99,999 yuan as people write them (3.5万, 35000元, 两千块, 一万二 ...): template, values.
_MEDIUM_AMOUNTS: tuple[tuple[str, tuple[object, ...]], ...] = (
    ("{}万", ("1.2", "1.5", "2", "2.6", "3", "3.5", "4.8", "5", "6.3", "8")),
    ("{}元", (3500, 12000, 18000, 20000, 35000, 46000, 50000, 68000)),
    ("{}千块", ("两", "三", "五", "八")),
    ("{}", ("一万二", "一万五", "两万多", "三万多", "五千多", "八千多块", "快一万")),
    ("{}元", ("1,800", "2,350", "4,800", "9,999", "12,600", "26,000")),
    ("{}块钱", (1500, 2600, 3000, 6000, 7200, 9800)),
    ("{}万块钱", ("两", "三", "四", "六")),
)


def _medium_amount(rng: random.Random) -> str:
    """1,000 to 99,999 yuan, in one of the ways of :data:`_MEDIUM_AMOUNTS`."""
    template, values = _MEDIUM_AMOUNTS[rng.randrange(len(_MEDIUM_AMOUNTS))]
    return template.format(rng.choice(values))


def _large_amount(rng: random.Random) -> str:
    """Mortgage and business-loan sized amounts."""
    return rng.choice(
        ("20万", "三十万", "50万元", "八十多万", "120万", "一百多万", "35万", "200万", "六十万", "45万块")
    )


def _rate(rng: random.Random) -> str:
    return rng.choice(
        ("4.9%", "5.88%", "4.35%", "3.95%", "百分之四点二", "年化3.6%", "4.1%", "3.85%", "百分之五点几")
    )


def _date(rng: random.Random) -> str:
    if rng.random() < 0.4:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        return f"{month}月{day}{rng.choice(('号', '日', '号', '号那天'))}"
    return rng.choice(
        (
            "上个月",
            "前天",
            "昨天",
            "上周三",
            "这个月初",
            "上礼拜五",
            "大概半个月前",
            "今年年初",
            "去年年底",
            "春节前后",
            "月底那天",
            "昨天晚上",
            "今天早上",
            "国庆期间",
        )
    )


def slots(rng: random.Random) -> dict[str, str]:
    """Fresh values for every ``{slot}`` a fact may use."""
    return {
        "fee": _tiny_fee(rng),
        "amt_s": _small_amount(rng),
        "amt_m": _medium_amount(rng),
        "amt_l": _large_amount(rng),
        "rate": _rate(rng),
        "date": _date(rng),
        "dur": rng.choice(
            (
                "三天",
                "一个星期",
                "十多天",
                "半个月",
                "二十多天",
                "一个多月",
                "两个月",
                "快三个月",
                "五个工作日",
            ),
        ),
        "n": rng.choice(("两", "三", "四", "五", "好几")),
        "staff": rng.choice(
            ("客户经理", "理财经理", "柜员", "大堂经理", "工作人员", "你们的员工", "那个经理"),
        ),
        "place": rng.choice(
            (
                "我们小区旁边的网点",
                "市中心那个支行",
                "单位楼下的网点",
                "老家县城的网点",
                "开发区那边的营业厅",
                "你们的一个分理处",
            )
        ),
        "app": rng.choice(("手机银行", "APP", "手机银行APP", "你们的app", "网银", "手机银行客户端")),
    }


# -- what customers ask for, by cause ---------------------------------------------------------------
DEMANDS: dict[str, tuple[str, ...]] = {
    "fees_pricing": (
        "要求把这笔钱退给我",
        "多收的费用必须全部退还",
        "能不能把这个费给我免了",
        "请说明收费依据，收错了就退",
        "我不认这个费用，你们给我退回来",
        "以后别再乱扣我的钱了",
        "要求减免并退还已扣款项",
        "收费标准到底在哪公示的，给我看看",
    ),
    "interest_rate": (
        "要求按合同约定的利率重新计算",
        "多扣的利息退回来",
        "请给我一份利息的详细计算明细",
        "利率该调就得调，把差额补给我",
        "罚息我不认，要求减免",
        "请尽快核实，算错了就改",
        "给我解释清楚这利息是怎么算出来的",
    ),
    "sales_practice": (
        "要求撤销这笔业务",
        "要追究销售人员的责任",
        "请调取当时的录音录像核实",
        "这就是误导销售，必须给我处理",
        "要求给个说法，并处理相关人员",
        "请你们停止这种推销",
        "把我的损失补回来",
    ),
    "information_disclosure": (
        "当时为什么不告诉我，要给我一个说法",
        "要求你们说明为什么没有提示",
        "没告知的后果应该由银行承担",
        "请把相关规则书面发给我",
        "以后有变化请提前通知",
        "这个损失我不该承担",
    ),
    "contract_terms": (
        "这条款我不认可，要求解除协议",
        "请解释清楚合同条款",
        "要求按当时口头承诺的执行",
        "这是霸王条款，请修改",
        "要求把协议原件给我看",
        "合同不公平，我要求重新协商",
    ),
    "debt_collection": (
        "立刻停止骚扰我的家人和同事",
        "我要求协商个性化分期还款",
        "能不能申请停息挂账",
        "请规范你们的催收行为",
        "我会还，但请别再打给我单位",
        "要求查处这个催收人员",
        "给我一个正规的还款方案",
    ),
    "service_attitude": (
        "要求相关人员向我道歉",
        "换个能解决问题的人来处理",
        "请尽快给我回电话",
        "你们的服务得改进了",
        "我要投诉这个员工",
        "希望你们重视一下客户的感受",
        "不要再推来推去了",
    ),
    "system_failure": (
        "因为系统问题造成的损失要赔偿",
        "请尽快修复",
        "把扣的钱先给我退回来",
        "要求查明原因并书面回复",
        "系统出的问题，责任不在我",
        "到底什么时候能好",
    ),
    "personal_information": (
        "要求删除我的个人信息",
        "请查清楚是谁泄露的",
        "要求修改征信记录",
        "我要提征信异议",
        "请给我一个书面调查结果",
        "不要再把我的信息给第三方",
    ),
    "funds_security": (
        "请马上冻结并帮我追回损失",
        "要求银行赔偿被盗的钱",
        "请调取交易记录和监控",
        "先帮我止付",
        "请配合公安调查",
        "钱在你们这丢的，你们得负责",
    ),
    "business_process": (
        "请简化一下流程",
        "要求马上解除限制",
        "给我一个明确的办理时间",
        "能不能线上办，别让我再跑了",
        "请一次性告诉我要哪些材料",
        "这种规定不合理，希望改进",
    ),
    "approval": (
        "请把具体原因告诉我",
        "要求尽快审批放款",
        "给我一个确切的审批时间",
        "请重新审核我的申请",
        "我的损失谁来承担",
        "别再让我一直等了",
    ),
    "other_cause": (
        "希望你们改进一下",
        "请给个说法",
        "麻烦尽快处理",
        "希望能重视",
        "请转给相关部门",
        "给我回个电话说明一下",
    ),
}

#: What happened after the customer first complained, by cause (long narratives).
FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "fees_pricing": (
        "我打热线要求退费，客服说只能申请减免一半",
        "网点说收费标准在官网上公示了，可我翻遍了都没找到",
        "客服说这是系统自动扣的，退不了",
        "我问别的客户，人家同样的情况就没被收",
    ),
    "interest_rate": (
        "我自己拿计算器算了好几遍，每期都对不上",
        "客服给我的解释前后说法不一样",
        "网点说利率的事要等总行统一调整，让我回去等",
        "问了{n}次，没有一个人能把利息明细讲清楚",
    ),
    "sales_practice": (
        "后来我再去找那个经理，他说当时说的话不算数",
        "我要求调取当时的录音，网点说要走流程，拖到现在",
        "身边好几个邻居都被同一个人这样推销过",
        "当时说得天花乱坠，现在出了问题没人认账",
    ),
    "information_disclosure": (
        "我翻了当时签的所有材料，没有一张纸提到这个",
        "网点说规则都在协议里，可协议上的字小得根本看不清",
        "如果当时告诉我，我肯定不会办",
        "短信、电话、APP消息，什么通知都没有",
    ),
    "contract_terms": (
        "我去网点要合同原件，说只能看不能复印",
        "签字的时候工作人员只让我在最后一页签名",
        "我咨询了律师，律师说这种条款有问题",
        "合同是格式条款，我根本没有商量的余地",
    ),
    "debt_collection": (
        "我跟催收说明了情况，对方根本不听，还说要上门",
        "我主动打电话想协商还款，客服说这个要找催收公司",
        "催收的号码每天换一个，拉黑都拉不过来",
        "我老婆现在接到陌生电话就害怕",
    ),
    "service_attitude": (
        "我要求找负责人，工作人员说负责人不在",
        "前后换了{n}个客服，每个人都让我从头说一遍",
        "我只是想把事情弄清楚，不知道为什么要受这种气",
        "留了电话说会回访，一直没人打给我",
    ),
    "system_failure": (
        "客服说是系统升级造成的，但没人告诉我什么时候能好",
        "我截了图，也录了屏，你们说要提交技术部门核查",
        "网点说是总行系统的问题，他们也没办法",
        "这已经影响到我的正常生活了",
    ),
    "personal_information": (
        "这些推销电话里对方能准确说出我的姓名和业务情况",
        "我申请查询信息被谁调取过，网点说查不了",
        "征信上的记录影响了我申请别的贷款",
        "我担心我的其他信息也被泄露了",
    ),
    "funds_security": (
        "发现以后我马上打电话冻结，又去派出所报了案",
        "你们说要先等公安的结论才能处理",
        "钱是在你们的系统里被转走的，风控没有任何拦截",
        "卡里的钱都是我辛辛苦苦攒下的",
    ),
    "business_process": (
        "每次去网点都说缺一样材料，一次性就不能讲清楚吗",
        "网点说这是总行规定，他们也做不了主",
        "为这件事我已经请了{n}天假",
        "线上线下来回推，没有一个地方能办",
    ),
    "approval": (
        "我问客户经理卡在哪一步，他说他也看不到",
        "所有材料都是按你们要求交的，一样没少",
        "因为一直批不下来，我的安排全被打乱了",
        "别的银行几天就批了，你们拖了这么久",
    ),
    "other_cause": (
        "跟网点反映过好几次，一直没有改",
        "我觉得这种小事也能看出一个银行的管理水平",
        "其他来办业务的客户也都有意见",
    ),
}
GENERIC_FOLLOW_UPS = (
    "至今已经过去{dur}，没有任何答复",
    "我前后打了{n}次热线，每次都让我等通知",
    "到网点问，网点说这个归总行管",
    "工单号都给我了，就是没有结果",
    "你们答应三个工作日内回复，到现在也没消息",
    "这件事前前后后折腾了我{dur}",
)
NARRATIVE_BACKGROUNDS = (
    "我是一名退休教师，平时很少用手机，这次的事让我非常焦虑。",
    "我在贵行开户快二十年了，工资、房贷、理财都在这里。",
    "我一个人在外地打工，每一分钱都是辛苦挣来的。",
    "我家里有两个孩子要上学，每个月的开销都算得很紧。",
    "我是做个体生意的，资金周转一直很紧。",
    "我年纪大了，子女不在身边，很多事情弄不明白。",
)
NARRATIVE_LINKS = ("更让人生气的是，", "关键是，", "", "")

#: How callers and writers name what they are complaining about before telling the story.
TOPIC_INTROS: dict[str, tuple[str, ...]] = {
    "credit_card": (
        "我想说一下我信用卡的事，",
        "关于我的信用卡，",
        "我是你们的信用卡持卡人，",
        "信用卡这边，",
    ),
    "personal_loan": ("我在你们行有一笔个人贷款，", "关于我的贷款，", "我想反映个贷的问题，"),
    "mortgage": ("我的房贷是在你们行办的，", "关于我家的按揭，", "我想说一下房贷的事，", "住房贷款的问题，"),
    "consumer_loan": ("我在你们这借过一笔消费贷，", "关于我的信用贷，", "是贷款买车那件事，", "网贷的问题，"),
    "business_loan": ("我是个体工商户，在你们行办了经营贷，", "关于小微企业贷款，", "我们店的经营性贷款，"),
    "debit_card_deposit": ("我的储蓄卡是你们行的，", "关于我的存款，", "我的工资卡，", "借记卡的问题，"),
    "wealth_management": ("我在你们行买了理财，", "关于我买的理财产品，", "我在网点买的基金，"),
    "insurance_agency": ("我在你们银行买了一份保险，", "关于在网点买的保单，", "银保产品的问题，"),
    "payment_settlement": ("我想说一笔转账的事，", "关于扣款的问题，", "是汇款的事，", "支付这一块，"),
    "foreign_exchange": ("我想反映外汇业务的问题，", "关于境外汇款，", "我办外币业务，"),
    "e_banking": ("你们的手机银行，", "关于手机银行APP，", "网银的问题，", "电子银行这块，"),
    "precious_metals": ("我在你们行买的黄金，", "关于积存金，", "贵金属业务的事，"),
    "other_business": ("我来网点办事，", "不是卡的问题，是网点的事，", "关于你们网点，"),
}

CONTEXTS = (
    "我是你们十多年的老客户了，",
    "我平时工作忙，",
    "我先说一下情况，",
    "说实话，",
    "我在外地出差，",
    "事情是这样的，",
    "我都已经退休了，",
    "我是做小生意的，",
    "我帮我家老人问的，",
    "本来不想投诉的，",
    "我刚毕业没多久，",
    "我已经反映过一次了，",
)

ESCALATIONS = (
    "再不处理我就打12378投诉",
    "不行我就去找金融监管局",
    "我已经打了三次电话了",
    "我会找媒体曝光",
    "大不了我去法院起诉",
    "真的太失望了",
    "我考虑把钱全部转走销户",
    "这已经不是第一次了",
    "我家里人都很着急",
    "我这几天觉都睡不好",
    "实在不行我就报警",
    "你们这样做太不负责任了",
)

SPOKEN_OPENERS = (
    "喂，你好，",
    "喂？喂，听得到吗？那个，",
    "你好，我想投诉一下，就是",
    "哎你好，",
    "喂，是客服吧？我跟你说啊，",
    "你好你好，那个我想反映个事儿，",
    "嗯…你好，我想问一下啊，",
    "喂，我终于打进来了，",
    "你好，麻烦帮我查一下，",
    "喂，你好，我想说个事，就是",
    "哎，你们这个事必须得管管，",
    "你好，转了半天人工，",
    "",
)
SPOKEN_FILLERS = ("就是", "那个", "然后", "嗯，", "反正", "你知道吧，", "对，", "呃，", "怎么说呢，")
SPOKEN_CLOSERS = (
    "你们赶紧给我处理一下吧。",
    "我等你们回电话啊。",
    "就这个事，你记一下。",
    "我真的是气死了。",
    "好吧，那你们尽快。",
    "你们看着办吧。",
    "你听明白了吧？",
    "对，就这样。",
    "我就想要个结果。",
    "",
    "",
)
WRITTEN_HEADERS = (
    "尊敬的客服：",
    "投诉内容：",
    "我要投诉：",
    "【投诉】",
    "反映问题：",
    "您好，",
    "本人系贵行客户，",
    "情况说明：",
    "",
    "",
)
WRITTEN_CLOSERS = (
    "特此投诉，望尽快核实并书面答复。",
    "请贵行在规定时限内给予答复。",
    "望贵行重视。",
    "如不能妥善处理，本人将向金融监管部门反映。",
    "盼复。",
    "请核实处理，谢谢。",
    "",
)
WECHAT_OPENERS = ("在吗？", "你好，", "客服你好，", "请问一下，", "急！", "")
WECHAT_TAILS = ("[发怒]", "[流泪]", "[捂脸]", "？？", "…", "，麻烦快点回复", "，急", "")
APP_TAILS = ("", "！", "！！", "。", "，怎么回事", "，差评", "，能不能解决", "？？？", "，急", "，无语了")
BRANCH_HEADERS = ("网点登记：客户反映", "柜面受理：客户称", "大堂记录：客户投诉", "工单：客户来电反映")

#: Mixed Chinese-English that customers actually write.
CODE_MIX = (
    ("查一下", "check一下"),
    ("跟进", "follow"),
    ("系统出错", "系统bug"),
    ("一直转圈", "一直loading"),
    ("确认", "confirm"),
    ("手机银行", "手机银行APP"),
    ("回电话", "call back"),
    ("投诉一下", "complain一下"),
    ("截图", "截屏screenshot"),
)

_TRADITIONAL_PAIRS = (
    "银銀 费費 贷貸 还還 说說 没沒 们們 这這 个個 时時 间間 钱錢 账賬 户戶 续續 险險 汇匯 额額 为為"
    " 么麼 后後 话話 电電 务務 业業 里裡 对對 网網 给給 员員 经經 财財 产產 办辦 问問 题題 处處 发發"
    " 现現 过過 让讓 请請 结結 东東 买買 卖賣 转轉 号號 码碼 证證 应應 该該 认認 识識 计計 进進 开開"
    " 关關 门門 动動 边邊 机機 种種 来來 样樣 头頭 实實 际際 从從 会會 单單 据據 历歷 点點 几幾 长長"
    " 贵貴 两兩 万萬 块塊 钟鐘 线線 约約 挂掛 报報 态態 难難 连連 选選 询詢 决決 规規 则則 条條 罚罰"
    " 当當 级級 统統 录錄 显顯 败敗 闪閃 盗盜 骗騙 诈詐 冻凍 审審 营營 销銷 导導 诱誘 夸誇 隐隱 协協"
    " 议議 骚騷 扰擾 讯訊 泄洩 征徵 护護 资資 黄黃 积積 储儲 验驗 陆陸 页頁 响響 诉訴 坏壞 亲親 妈媽"
    " 儿兒 气氣 余餘 于於 与與 无無 绑綁 扫掃 乱亂 拨撥 订訂 预預 诺諾 赔賠 偿償 损損 杂雜 软軟 设設"
    " 备備 试試 换換 权權 图圖 厅廳 车車 贴貼 补補 压壓 区區 县縣 领領 迟遲 达達 纪紀 币幣 写寫 听聽"
    " 见見 觉覺 帮幫 岁歲 龄齡 医醫 阅閱 读讀 书書 记記 错錯 欢歡 节節 齐齊 谁誰 担擔 异異 赶趕 热熱"
    " 饭飯 紧緊 尽盡 恶惡 虑慮 执執 层層 庆慶 邮郵 递遞 丢丟 楼樓 属屬 亏虧 赎贖 净淨 质質 优優 顾顧"
    " 严嚴 愿願 义義 凭憑 职職 离離 况況 减減 闹鬧 吓嚇 骂罵 拦攔 脸臉 礼禮 兑兌 广廣 弹彈 谢謝 馆館"
    " 笔筆 称稱 评評 测測 双雙 钞鈔 宝寶 缴繳 终終 总總 惯慣 装裝 拥擁 挤擠 须須 并並"
    " 争爭 仓倉 价價 传傳 体體 债債 养養 内內 册冊 冲衝 准準 刚剛 删刪 别別 占佔 卧臥 却卻 变變 吗嗎"
    " 围圍 国國 场場 声聲 够夠 学學 宽寬 将將 带帶 张張 强強 归歸 戏戲 抚撫 摇搖 攒攢 数數 断斷 旧舊"
    " 暂暫 构構 柜櫃 标標 档檔 桥橋 检檢 残殘 毁毀 毕畢 泪淚 涨漲 游遊 滚滾 满滿 烦煩 爱愛 犹猶 监監"
    " 盖蓋 确確 碍礙 稳穩 签簽 简簡 类類 红紅 组組 细細 络絡 继繼 绩績 综綜 缘緣 缩縮 联聯 胁脅 脑腦"
    " 腾騰 苹蘋 范範 荐薦 虚虛 视視 讲講 详詳 语語 误誤 调調 谱譜 负負 责責 货貨 购購 赖賴 赚賺 轮輪"
    " 载載 较較 输輸 迁遷 远遠 违違 释釋 钮鈕 链鏈 锁鎖 闭閉 闻聞 队隊 随隨 项項 顺順 顿頓 风風 馈饋"
    " 马馬"
)
TRADITIONAL = str.maketrans(dict(pair for pair in (tuple(p) for p in _TRADITIONAL_PAIRS.split())))
_HALF_WIDTH = str.maketrans({"，": ",", "！": "!", "？": "?", "：": ":", "（": "(", "）": ")"})
_DIGIT_RUN = re.compile(r"\d{7,}")


# -- the scenes: hand-written situations per business line x cause, in zh_scenes.json beside this file --
SCENES_FILE = Path(__file__).with_name("zh_scenes.json")


def load_scenes(path: Path = SCENES_FILE) -> tuple[Scene, ...]:
    """The scenes of ``path``: a JSON list of :class:`Scene` fields (lists for the tuples)."""
    with path.open(encoding="utf-8") as f:
        return tuple(
            Scene(**{key: tuple(value) if isinstance(value, list) else value for key, value in scene.items()})
            for scene in json.load(f)
        )


SCENES: tuple[Scene, ...] = load_scenes()


# -- registers ----------------------------------------------------------------------------------------
def _pick(rng: random.Random, pool: tuple[str, ...], chance: float = 1.0) -> str:
    return rng.choice(pool) if pool and rng.random() < chance else ""


def _spoken(rng: random.Random, fact: str, detail: str, demand: str, escalation: str) -> str:
    """A hotline transcript: an opener, fillers after some pauses, a run-on sentence."""
    context = _pick(rng, CONTEXTS, 0.3).rstrip("，")
    pieces = [p for p in (context, fact, detail, demand, escalation) if p]
    body = ""
    for i, piece in enumerate(pieces):
        if i:
            body += rng.choice(("，", "，", "，", "。", "…"))
            if rng.random() < 0.35:
                body += rng.choice(SPOKEN_FILLERS)
        body += piece
    closer = rng.choice(SPOKEN_CLOSERS)
    return f"{rng.choice(SPOKEN_OPENERS)}{body}{'，' + closer if closer else '。'}"


def _formal(text: str) -> str:
    """Written complaints address the bank as 贵行."""
    for plain, formal in (("你们银行", "贵行"), ("你们行", "贵行"), ("你们", "贵行")):
        text = text.replace(plain, formal)
    return text


def _written(rng: random.Random, fact: str, detail: str, demand: str, escalation: str) -> str:
    """A web-form or e-mail complaint: a header, full stops, a formal demand and closing."""
    text = f"{rng.choice(WRITTEN_HEADERS)}{_pick(rng, CONTEXTS, 0.15)}{fact}。"
    if detail:
        text += f"{detail}。"
    if demand.startswith(("把", "多", "立刻", "全额", "撤销", "按", "减免", "退", "删除", "停止")):
        text += f"{rng.choice(('诉求：', '现要求', '本人要求', ''))}{demand}。"
    else:
        text += f"{rng.choice(('诉求：', ''))}{demand}。"
    if escalation:
        text += f"{escalation}。"
    return _formal(text + rng.choice(WRITTEN_CLOSERS))


def _app(rng: random.Random, terse: str, fact: str, demand: str) -> str:
    """App-store or in-app feedback: a short phrase, maybe a short demand, half-width punctuation."""
    tail = rng.choice(APP_TAILS)
    text = (terse or fact).rstrip("？！。" if tail else "") + tail
    if rng.random() < 0.3:
        text += f"{'' if text[-1:] in '！。？' else '，'}{demand}"
    if len(text) < MIN_LEN:
        text = text.rstrip("！。？，") + rng.choice(("，赶紧处理", "，太坑了吧", "，有没有人管", "，烦死了"))
    return text.translate(_HALF_WIDTH) if rng.random() < 0.35 else text


def _wechat(rng: random.Random, fact: str, demand: str, escalation: str) -> str:
    text = rng.choice(WECHAT_OPENERS) + fact
    if rng.random() < 0.6:
        text += f"，{demand}"
    if escalation and rng.random() < 0.5:
        text += f"，{escalation}"
    return text + rng.choice(WECHAT_TAILS)


def _branch(rng: random.Random, fact: str, demand: str) -> str:
    """A branch work order, written by staff: the customer in the third person, the bank 我行."""
    for mine, theirs in (("我们", "其"), ("我爸妈", "其父母"), ("我妈", "其母亲"), ("我", "客户")):
        fact = fact.replace(mine, theirs)
    demand = demand.replace("我的", "其").replace("我", "其")
    text = f"{rng.choice(BRANCH_HEADERS)}{fact}。客户诉求：{demand}。"
    text += rng.choice(("已安抚，转后台核实。", "已登记，待回复。", "", "请相关部门跟进。"))
    for plain, staff in (("你们银行", "我行"), ("你们行", "我行"), ("你们", "我行")):
        text = text.replace(plain, staff)
    return text


def _narrative(
    rng: random.Random,
    scene: Scene,
    values: dict[str, str],
    intro: str,
    fact: str,
    detail: str,
    demand: str,
) -> str:
    """A long web-form or letter complaint: the situation, what happened since, the demand."""
    follow, more = (f.format(**values) for f in rng.sample(FOLLOW_UPS[scene.cause], 2))
    since = rng.choice(GENERIC_FOLLOW_UPS).format(**values)
    background = _pick(rng, NARRATIVE_BACKGROUNDS, 0.4) or _pick(rng, CONTEXTS, 0.4)
    # Date the story unless the situation already tells when it happened.
    timed = values["date"] in fact or any(word in fact for word in ("那天", "凌晨", "晚上", "半夜"))
    when = "" if timed else f"{values['date']}，"
    text = f"{rng.choice(WRITTEN_HEADERS)}{background}{intro}{when}{fact}。"
    if detail:
        text += f"{detail}。"
    text += f"{rng.choice(NARRATIVE_LINKS)}{follow}，{since}。"
    if rng.random() < 0.5:
        text += f"{rng.choice(('而且', '另外', '还有，', ''))}{more}。"
    text += f"{rng.choice(('诉求：', '我的诉求是：', '现提出以下要求：', ''))}{demand}。"
    text += f"{rng.choice(ESCALATIONS)}。" if rng.random() < 0.6 else ""
    return _formal(text + rng.choice(WRITTEN_CLOSERS))


def compose(rng: random.Random, scene: Scene) -> str:
    """One complaint of ``scene``, in a register drawn at random."""
    values = slots(rng)
    fact = rng.choice(scene.facts).format(**values)
    intro = _pick(rng, TOPIC_INTROS[scene.business_line], 0.4)
    # No intro when the situation already names the product (关于我的房贷，房贷…).
    if any(intro[i : i + 2] in fact for i in range(len(intro) - 1) if intro[i : i + 2] != "你们"):
        intro = ""
    told = intro + fact
    terse = _pick(rng, scene.terse).format(**values)
    detail = _pick(rng, scene.details, 0.45).format(**values)
    demand = rng.choice(scene.demands if scene.demands and rng.random() < 0.6 else DEMANDS[scene.cause])
    if rng.random() < 0.15:
        demand = rng.choice(DEMANDS["other_cause"])
    escalation = _pick(rng, ESCALATIONS, 0.3)
    register = rng.choices(
        ("spoken", "written", "narrative", "app", "wechat", "branch"), weights=(33, 19, 13, 16, 11, 8)
    )[0]
    if register == "narrative":
        text = _narrative(rng, scene, values, intro, fact, detail, demand)
    elif register == "spoken":
        text = _spoken(rng, told, detail, demand, escalation)
    elif register == "written":
        text = _written(rng, told, detail, demand, escalation)
    elif register == "app":
        text = _app(rng, terse if rng.random() < 0.7 else "", told, demand)
    elif register == "wechat":
        text = _wechat(rng, told, demand, escalation)
    else:
        text = _branch(rng, told, demand)
    if rng.random() < 0.12:
        present = [pair for pair in CODE_MIX if pair[0] in text]
        if present:
            plain, mixed = rng.choice(present)
            text = text.replace(plain, mixed, 1)
    if rng.random() < 0.07:
        text = text.translate(TRADITIONAL)
    return text


# -- near-duplicate control ---------------------------------------------------------------------------
def char_bag(text: str) -> Counter[str]:
    """The characters of ``text`` that carry content (no spaces, punctuation or symbols)."""
    return Counter(c for c in text if unicodedata.category(c)[0] not in "PZS")


def overlap(a: Counter[str], b: Counter[str]) -> float:
    """Dice coefficient of two character bags: the share of characters the two texts have in common."""
    size = a.total() + b.total()
    if not size:
        return 0.0
    common = sum(min(count, b[c]) for c, count in a.items() if c in b)
    return 2.0 * common / size


def _too_close(bag: Counter[str], bags: list[Counter[str]], sizes: list[int]) -> bool:
    size = bag.total()
    for other, other_size in zip(bags, sizes, strict=True):
        # Dice can be no higher than 2*min/(sum): skip pairs whose lengths already keep them apart.
        if 2.0 * min(size, other_size) / (size + other_size) <= MAX_OVERLAP:
            continue
        if overlap(bag, other) > MAX_OVERLAP:
            return True
    return False


def generate(seed: int = SEED) -> list[tuple[str, str, str]]:
    """Every row (text, business_line, cause), shuffled; raises when a tag gets too few rows."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    bags: list[Counter[str]] = []
    sizes: list[int] = []
    seen: set[str] = set()
    short: list[str] = []
    for scene in SCENES:
        if scene.business_line not in BUSINESS_LINES or scene.cause not in CAUSES:
            raise ValueError(f"unknown tag in scene {scene.business_line} x {scene.cause}")
        made = 0
        for _ in range(scene.rows * ATTEMPTS_PER_ROW):
            if made == scene.rows:
                break
            text = compose(rng, scene)
            if not MIN_LEN <= len(text) <= MAX_LEN or text in seen or _DIGIT_RUN.search(text):
                continue
            bag = char_bag(text)
            if _too_close(bag, bags, sizes):
                continue
            rows.append((text, scene.business_line, scene.cause))
            bags.append(bag)
            sizes.append(bag.total())
            seen.add(text)
            made += 1
        if made < scene.rows:
            short.append(f"{scene.business_line} x {scene.cause}: {made} of {scene.rows}")
    if short:
        raise ValueError(f"scenes without enough distinct rows: {'; '.join(short)}")
    counts: Counter[str] = Counter()
    for _, business_line, cause in rows:
        counts[f"business_line:{business_line}"] += 1
        counts[f"cause:{cause}"] += 1
    thin = [
        f"{dim}:{tag} has {counts[f'{dim}:{tag}']}"
        for dim, tags in (("business_line", BUSINESS_LINES), ("cause", CAUSES))
        for tag in tags
        if counts[f"{dim}:{tag}"] < MIN_PER_TAG
    ]
    if thin:
        raise ValueError(f"fewer than {MIN_PER_TAG} rows: {'; '.join(thin)}")
    rng.shuffle(rows)
    return rows


#: The demo simulator's Chinese traffic: another draw (its own seed), none of the bootstrap rows,
#: with a ``category`` column (the business line) so the simulator can surge one topic.
TRAFFIC_OUT = Path(__file__).resolve().parents[1] / "demo" / "zh_traffic.csv"
TRAFFIC_SEED = 7


def main(argv: list[str] | None = None, write: Callable[[str], object] = sys.stdout.write) -> int:
    """``make_zh_complaints.py [OUT]`` writes the bootstrap set; ``make_zh_complaints.py traffic``
    also writes the simulator's traffic file."""
    args = argv or []
    out = Path(args[0]) if args and args[0] != "traffic" else OUT
    rows = generate()
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("text", "business_line", "cause"))
        writer.writerows(rows)
    write(f"wrote {len(rows)} rows to {out}\n")
    if "traffic" in args:
        learned = {text for text, _, _ in rows}
        traffic = [(t, b) for t, b, _ in generate(TRAFFIC_SEED) if t not in learned]
        TRAFFIC_OUT.parent.mkdir(parents=True, exist_ok=True)
        with TRAFFIC_OUT.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("text", "category"))
            writer.writerows(traffic)
        write(f"wrote {len(traffic)} rows to {TRAFFIC_OUT}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
