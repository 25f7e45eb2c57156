"""Text folding before featurisation: width and case, traditional to simplified Chinese, amounts.

Complaints arrive in every form a keyboard, a phone or an ASR engine produces: full-width Latin
letters from Chinese input methods, traditional characters from Hong Kong, Macau and Taiwan
customers, and amounts written ``3.5万``, ``35,000`` or ``35000元``. Folding these before the
n-grams are taken makes the same complaint look the same to the models.

Chinese word segmentation uses ``rjieba`` (the Rust port of jieba): 16x faster than ``jieba``
on the UnionPay questions (4.7 vs 77 us per question) with the same dictionary and cuts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import opencc

__all__ = ["HAN_CHARS", "fold_chinese_variants", "fold_numbers", "normalize_text", "segment_chinese"]

#: Chinese characters (CJK ideographs, extension A and the compatibility block), for a regex class.
HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{HAN_CHARS}]")
# A number (thousands separators, a decimal part), optionally followed by a Chinese or SI multiplier.
_NUMBER_RE = re.compile(r"(?<![0-9a-z.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s?(亿|万|千|百|k\b)?")
_MULTIPLIERS = {"亿": 10**8, "万": 10**4, "千": 10**3, "百": 10**2, "k": 10**3}


def normalize_text(text: str) -> str:
    """NFKC-normalise and lowercase, so full-width and half-width forms hash alike.

    Examples
    --------
    >>> normalize_text("ＡＴＭ  Card")
    'atm  card'
    """
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    import opencc

    return opencc.OpenCC("t2s")


def fold_chinese_variants(text: str) -> str:
    """Traditional Chinese characters to simplified (OpenCC ``t2s``); other text unchanged.

    Examples
    --------
    >>> fold_chinese_variants("銀聯錢包無法綁定信用卡")
    '银联钱包无法绑定信用卡'
    >>> fold_chinese_variants("card not working")
    'card not working'
    """
    if _HAN_RE.search(text) is None:
        return text
    converted: str = _t2s().convert(text)
    return converted


def _magnitude(match: re.Match[str]) -> str:
    whole, fraction, unit = match.group(1).replace(",", ""), match.group(2) or "", match.group(3)
    if unit:
        scale = _MULTIPLIERS[unit]
        value = int(whole) * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)
        whole = str(value)
    return f" num{len(whole)} "


#: The placeholders personal data is replaced with before text reaches a model (``privacy``):
#: ``[CARD:…1234]``, ``[ID]``, ``[PHONE:…5678]``, ``[EMAIL]``, ``[ACCOUNT:…6789]``, ``[NAME]``.
_PLACEHOLDER_RE = re.compile(r"\[(CARD|ID|PHONE|EMAIL|ACCOUNT|NAME)(?::[^\]\s]{1,12})?\]")


def fold_placeholders(text: str) -> str:
    """One token per redacted value, of its kind: a card number is "has a card number"
    (``piicard``), not the word "card" and four digits.

    >>> fold_placeholders("卡号[CARD:…1234]被盗刷, call me at [PHONE:…5678]")
    '卡号 piicard 被盗刷, call me at  piiphone '
    """
    if "[" not in text:
        return text
    return _PLACEHOLDER_RE.sub(lambda m: f" pii{m.group(1).lower()} ", text)


def fold_numbers(text: str) -> str:
    """Replace every number by its order of magnitude: ``num<digits of the integer part>``.

    The exact value of an amount, a date or a card number says little about what a complaint is
    about, but its size does (a 16-digit card number, an 11-digit mobile, a 5-digit amount), so
    ``3.5万``, ``35,000`` and ``35000.00`` all become ``num5``.

    Examples
    --------
    >>> fold_numbers("被扣了3.5万元")
    '被扣了 num5 元'
    >>> fold_numbers("charged $35,000.00 on 12/03")
    'charged $ num5 on  num2 / num2 '
    >>> fold_numbers("35000") == fold_numbers("3.5万") == fold_numbers("35k")
    True
    """
    return _NUMBER_RE.sub(_magnitude, text)


def segment_chinese(run: str) -> list[str]:
    """Words of a run of Chinese characters (jieba's dictionary, exact mode, no HMM guesses).

    Examples
    --------
    >>> segment_chinese("信用卡被盗刷")
    ['信用卡', '被盗', '刷']
    """
    import rjieba

    words: list[str] = rjieba.cut(run, hmm=False)
    return words
