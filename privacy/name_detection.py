"""People's names where a complaint introduces them: 我叫张伟, 姓名：李娜, my name is Wei Zhang.

Chinese has no spaces or capitals to mark a name, so only names right after an introducing
phrase are looked for, and only where they can be told from the words that usually follow it:

* 我叫, 名字是, 姓名, 户名, 联系人, 持卡人, 收款人: a name almost always follows. It must
  start with a common surname (single or double, 欧阳, 司马, ...), except after a label with a
  colon (``姓名：``), where any Han characters are the name.
* 我是, 本人, 客户: a name often does not follow (我是贵行的老客户, 本人申请, 客户经理), so the
  name must also end where the sentence goes on (punctuation, or a word such as 在, 反映, 投诉)
  and must not be a common word that starts with a surname character (黄金, 顾客, 周一, 申请).

A name is a surname and one or two given-name characters, cut before titles (先生, 女士) and
pseudonyms (李某): ``张先生`` and ``李某`` are kept, they name nobody. Single spaces between the
characters are allowed, as a speech recogniser writes them (``我 叫 张 伟``). Missed by design:
names of other forms (少数民族 names with ``·``, rare surnames after 我是/本人/客户), given-name
characters that are also common function words (王在田), and names not introduced at all.
English names follow ``my name is`` or ``name:`` (not ``company name:``): up to three capitalised
words, or two lower-case ones in recogniser output (a text without any capital letter).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privacy.detection import Detection

__all__ = ["find_names"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
#: The ~150 most frequent single-character surnames (about 90% of the population).
SINGLE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马胡朱郭何罗高林郑梁谢唐宋许邓冯韩曹曾彭萧肖蔡潘田董袁于余叶蒋杜"
    "苏魏程吕丁沈任姚卢钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白毛江闫薛尹付段雷黎史龙钱贺"
    "陶顾龚郝邵万严洪赖武傅莫孔汤向常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
    "兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
)
# Word lists below are space-separated strings: 200 quoted two-character words would not read.
DOUBLE_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 端木 南宫 西门 呼延 "  # noqa: SIM905
    "澹台 独孤 万俟 闻人 申屠 太史 轩辕".split()
)
#: Characters that end a name (the sentence goes on) and cannot start a given name here.
_STOP = frozenset(
    "的是在于和与及跟同了过着想要需请今昨前后去到从自因被把将向给对替为说称反投来也就都已还曾"
    "现目先女某身证电手账帐卡户银办申持通表致这那此该本我你他她它们贵您号拨打发接遭经让叫不没无"
    "很太非等啊呀吧呢吗嘛哦么之其所而但又或并再才最更各每个位名姓客问咨查告知能会应须得地啦总"
)
_TITLES = frozenset("先生 女士 小姐 同志 老师 经理 师傅 阿姨 大爷 大妈 主任 行长 律师 医生".split())  # noqa: SIM905
#: Words that start with a surname character and follow 我是/本人/客户 in complaints.
_COMMON_WORDS = frozenset(
    "黄金 白金 金卡 金额 金融 金色 金牌 钱包 钱款 余额 余下 高级 高端 高额 高兴 高度 高速 高新 王牌 "  # noqa: SIM905
    "马上 周末 周一 周二 周三 周四 周五 周六 周日 周年 周期 何时 何必 何况 于是 曾经 任务 任何 安全 "
    "安心 安排 安装 程序 方便 方面 方式 方法 方案 石油 孙子 常常 常年 常住 常用 文件 文化 文员 文明 "
    "董事 林业 牛市 熊市 龙头 龙卡 叶子 陆续 范围 谢谢 韩国 江湖 夏天 夏季 陈述 许多 许可 许久 史上 "
    "关于 关注 关心 关联 章程 单位 单身 单独 单笔 包括 包含 成功 成人 成年 成员 成为 白天 白领 白条 "
    "毛利 毛病 江苏 江西 温州 常州 苏州 徐州 郑州 成都 安徽 武汉 沈阳 石家 张家 马鞍 金华 黄山 秦皇 "
    "龙岩 柳州 包头 宁波 宁夏 宁可 华夏 苏宁 万元 万一 严重 严格 武警 齐全 康复 温馨 宋体 杜绝 田地 "
    "贺卡 施工 鲁莽 岳父 岳母 童年 付款 付费 付清 胡乱 胡说 唐突 钟表 黎明 洪水 赖账 莫名 莫非 庞大 "
    "颜色 申请 申报 申诉 申领 申购 欧元 欧洲 焦虑 焦急 左右 左边 甘心 尚未 尚且 符合 舒服 舒适 纪录 "
    "纪念 顾客 顾问 易购 汤圆 罗列 梁上 邓氏 雷同 毕业 汪洋 蔡司 魏晋 孟加 詹姆 姜汤 梅花 柯达".split()
)
_TRIGGER = re.compile(
    r"(?P<trigger>我 ?叫|名 ?字 ?[是叫]|姓 ?名|户 ?名|联 ?系 ?人|持 ?卡 ?人|收 ?款 ?人|我 ?是|本 ?人|客 ?户)"
    rf"(?P<colon> ?[:：])? ?(?=[{_HAN}])"
)
_WEAK_TRIGGERS = frozenset({"我是", "本人", "客户"})
_ENGLISH_TRIGGER = re.compile(
    r"(?<![A-Za-z])(?:my\s+name\s+is|my\s+name's|(?<!company )(?<!business )(?<!merchant )(?<!bank )"
    r"(?:full\s+)?name\s*[:：])\s*(?=[A-Za-z])",
    re.IGNORECASE,
)
_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_ENGLISH_STOP = frozenset(
    "a an and are as at be because but by called calling card correct different for from have here "  # noqa: SIM905
    "i in incorrect is it listed misspelled missing my not of on or please printed shown so spelled "
    "that the this to was which who with written wrong your".split()
)


def find_names(text: str) -> Iterator[Detection]:
    """Names introduced by 我叫, 姓名, my name is ... in ``text``.

    Examples
    --------
    >>> [d.value for d in find_names("我叫张伟，客户欧阳娜娜反映，我是贵行的老客户。My name is Wei Li.")]
    ['张伟', '欧阳娜娜', 'wei li']
    """
    for trigger in _TRIGGER.finditer(text):
        kind = trigger["trigger"].replace(" ", "")
        found = _chinese_name(
            text, trigger.end(), labelled=trigger["colon"] is not None, weak=kind in _WEAK_TRIGGERS
        )
        if found is not None:
            yield found
    if "name" in text or "Name" in text or "NAME" in text:
        for trigger in _ENGLISH_TRIGGER.finditer(text):
            found = _english_name(text, trigger.end())
            if found is not None:
                yield found


def _chinese_name(text: str, pos: int, *, labelled: bool, weak: bool) -> Detection | None:
    """The name starting at ``pos``: a surname and one or two given-name characters, or None."""
    chars: list[int] = []  # offsets of up to four Han characters, single spaces skipped
    i = pos
    while len(chars) < 4 and i < len(text):
        if _is_han(text[i]):
            chars.append(i)
            i += 1
        elif text[i] == " " and chars and i + 1 < len(text) and _is_han(text[i + 1]):
            i += 1
        else:
            break
    letters = "".join(text[c] for c in chars)
    if len(letters) < 2:
        return None
    if letters[:2] in DOUBLE_SURNAMES:
        given = 2
    elif letters[0] in SINGLE_SURNAMES or (labelled and letters[0] not in _STOP):
        given = 1
    else:
        return None
    surname = given
    while given < len(letters) and given - surname < 2 and not _ends_name(letters, given):
        given += 1
    name = letters[:given]
    if given == surname or name in _COMMON_WORDS or name[:2] in _COMMON_WORDS:
        return None
    end = chars[given - 1] + 1
    if weak and not _ends_name(letters + _next_han(text, i), given):
        return None
    return Detection(chars[0], end, "name", name)


def _ends_name(letters: str, index: int) -> bool:
    """Whether the name stops before ``letters[index]`` (end, a particle or verb, a title)."""
    return index >= len(letters) or letters[index] in _STOP or letters[index : index + 2] in _TITLES


def _next_han(text: str, pos: int) -> str:
    """The Han character at ``pos`` (after a single space), or nothing."""
    if pos < len(text) and text[pos] == " ":
        pos += 1
    return text[pos] if pos < len(text) and _is_han(text[pos]) else ""


def _english_name(text: str, pos: int) -> Detection | None:
    """Up to three capitalised words at ``pos`` (two lower-case ones in recogniser output), or None."""
    words: list[re.Match[str]] = []
    for word in _ENGLISH_WORD.finditer(text, pos):
        if words and text[words[-1].end() : word.start()].strip():
            break
        if word.group().lower() in _ENGLISH_STOP:
            break
        capitalised = word.group()[0].isupper()
        if words and capitalised != words[0].group()[0].isupper():
            break
        if not capitalised and text != text.lower():
            break  # lower-case names only in recogniser output, which has no capitals at all
        words.append(word)
        if len(words) == (3 if capitalised else 2):
            break
    if not words:
        return None
    value = " ".join(w.group().casefold() for w in words)
    return Detection(words[0].start(), words[-1].end(), "name", value)


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
