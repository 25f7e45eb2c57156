"""Card, resident-ID, phone and account numbers in runs of digits.

A run is digits grouped by single spaces or dashes (``6222 0212 3456 7890``, ``138-0013-8000``),
never part of a longer run and never glued to Latin letters (``TX2024...`` is a reference code).
Each run, or failing that a space-separated stretch of it, is tried in this order:

* PRC resident ID, 18 characters: province prefix, birth date and check digit (``stdnum.cn.ric``).
* CN phone: mobile ``1[3-9]`` + 9 digits, or landline ``0`` + area + 7-8 digits, optionally after
  ``+86``/``0086``/``86``, grouped as people write them (3-4-4, area-local).
* Card: 13-19 digits, Luhn-valid (``stdnum.luhn``), grouped in fours (or Amex 4-6-5).
* PRC resident ID, old 15-digit form: no check digit, so a province prefix and a birth date; a
  15-digit number that reads as both is an ID unless a card word (卡, card) comes just before.
* Account: 8-30 digits within a few characters after an account word (账号, 账户, 卡号, account,
  acct, a/c), when nothing above claimed them.

Other countries' numbers need a ``+`` and are validated by ``phonenumbers``. Service numbers
(95555, 12378, 400/800) are not personal and match no rule. Precision over recall where a near
miss is common in complaints: a number right after an order or reference word (订单号, 流水号,
ref) is not a card or account, a number starting with a date (``20231125...``: how Chinese order
and transaction numbers are built, and no card network issues numbers starting 19/20) is not a
card, amounts (``¥``, ``元``, ``万``, decimals, ``%``) are nothing. Not detected: 7-8 digit local
numbers without an area code (they look like dates and amounts), CN numbers in brackets
(``(0755) 8888 8888``), international numbers without ``+``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric

from privacy.detection import Detection, PiiKind

__all__ = ["find_numbers"]

#: A run of digit groups joined by single spaces or dashes, an optional leading ``+`` and the
#: ``X`` check digit of a resident ID.
_RUN = re.compile(r"(?<![0-9])(?:\+ ?)?[0-9]+(?:[ -][0-9]+)*(?:[Xx](?![A-Za-z]))?")
_GROUP = re.compile(r"[0-9]+")
#: First two digits of resident IDs: the provinces, Taiwan, and the HK/Macau/Taiwan residence permits.
_PROVINCES = frozenset(
    str(code)
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
    )
) | {"71", "81", "82", "83"}
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
#: Area codes 010 and 02x take 8-digit local numbers, 0xxx take 7 or 8; local numbers start 2-8.
_LANDLINE = re.compile(r"0(?:10|2[0-9])[2-8][0-9]{7}|0[3-9][0-9]{2}[2-8][0-9]{6,7}")
_MOBILE_SHAPES = frozenset({(11,), (3, 4, 4), (3, 8), (4, 3, 4)})
_ID_SHAPES = frozenset({(18,), (6, 8, 4), (6, 4, 4, 4)})
_OLD_ID_SHAPES = frozenset({(15,), (6, 6, 3)})
#: Characters before a number that say which of two readings (old ID or Amex card) it is.
_CARD_WORDS = re.compile(r"卡|card|visa|master|amex|unionpay|银联", re.IGNORECASE)
#: Words after which a number is an order or transaction reference, not a card or account.
_REFERENCE_WORDS = re.compile(
    r"订单|单号|流水|交易号|参考号|凭证|编号|合同|批次"
    r"|(?<![a-z])(?:orders?|refs?|reference|invoices?|tracking|transactions?|txn|serial)(?![a-z])",
    re.IGNORECASE,
)
_ACCOUNT_WINDOW = re.compile(
    r"(?:账号|账户|帐号|帐户|卡号|(?<![A-Za-z])(?:account|acct|a/c)(?![A-Za-z]))"
    r"(?P<gap>[^0-9+\n。！？；!?;]{0,12}?)(?=[0-9])",
    re.IGNORECASE,
)
#: Gaps between an account word and a number that make the number an amount.
_AMOUNT_WORDS = re.compile(r"余额|金额|额度|扣|balance|amount|limit|charged", re.IGNORECASE)
_AMOUNT_BEFORE = re.compile(r"(?:[¥$€£￥]|rmb|cny|usd|hkd)\s?$|[0-9]\.$", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(
    r"\s?(?:[元块圆万亿千百%‰]|美元|港币|港元|人民币|(?:rmb|yuan|cny|usd|hkd|dollars?)(?![a-z]))"
    r"|\.[0-9]|,[0-9]{3}(?![0-9])",
    re.IGNORECASE,
)
#: Characters looked at before a number for card, ID and reference words.
_CONTEXT_CHARS = 16
#: Widest group people write inside a grouped number (6222 0212 ..., 138 0013 8000).
_GROUP_WIDTH = 4
#: Fewest and most digits of any number read here: a mobile or landline (11), a 19-digit card.
_MIN_DIGITS = 11
_MAX_DIGITS = 19
#: Runs of more space-separated pieces are tables or noise, read whole only (bounds the work).
_MAX_PIECES = 64
_NOT_PERSONAL = frozenset(
    {
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.VOICEMAIL,
    }
)
_INTERNATIONAL = re.compile(r"\+(?!86)[1-9]")

Span = tuple[int, int]


def find_numbers(text: str) -> Iterator[Detection]:
    """Cards, resident IDs, phones and account numbers in ``text`` (already folded to ASCII digits).

    Examples
    --------
    >>> [(d.kind, d.value) for d in find_numbers("卡6222-0212-3456-7890-128，电话+86 138 0013 8000")]
    [('card', '6222021234567890128'), ('phone', '+8613800138000')]
    >>> list(find_numbers("订单号2023112512345678，95588，¥1,299.00，2024-03-01"))
    []
    """
    claimed: dict[int, bool] = {}
    runs: dict[int, list[Span]] = {}
    for run in _RUN.finditer(text):
        start, end = run.span()
        if _glued_to_letters(text, start, end) or _is_amount(text, start, end):
            continue
        groups = [m.span() for m in _GROUP.finditer(text, start, end)]
        runs[_first_digit(text, start)] = groups
        if sum(_width(g) for g in groups) < _MIN_DIGITS:
            continue
        found = list(_scan_run(text, start, end, groups))
        claimed[_first_digit(text, start)] = bool(found)
        yield from found
    for window in _ACCOUNT_WINDOW.finditer(text):
        digit = window.end()
        groups = runs.get(digit, [])
        if not groups or claimed.get(digit) or _AMOUNT_WORDS.search(window["gap"]):
            continue
        if _REFERENCE_WORDS.search(window["gap"]):
            continue
        digits = "".join(text[s:e] for s, e in groups)
        if 8 <= len(digits) <= 30 and not (len(digits) <= 14 and _is_date(digits[:8])):
            yield Detection(groups[0][0], groups[-1][1], "account", digits)
    if "+" in text and _INTERNATIONAL.search(text) is not None:
        yield from _international_phones(text)


def _scan_run(text: str, start: int, end: int, groups: list[Span]) -> Iterator[Detection]:
    """The whole run as one number, else space-separated stretches of it, longest first."""
    plus = text[start] == "+"
    x_end = text[end - 1] in "Xx"
    whole = _read(text, groups, plus=plus, x_end=x_end, start=start)
    if whole is not None:
        yield whole
        return
    pieces: list[list[Span]] = [[groups[0]]]
    for prev, group in itertools.pairwise(groups):
        if text[prev[1]] == " ":
            pieces.append([group])
        else:
            pieces[-1].append(group)
    if len(pieces) > _MAX_PIECES:
        return
    ends = list(itertools.accumulate((sum(_width(g) for g in piece) for piece in pieces), initial=0))
    i = 0
    while i < len(pieces):
        for j in range(len(pieces) - 1, i - 1, -1):
            digits = ends[j + 1] - ends[i]
            if digits < _MIN_DIGITS:
                break
            if digits > _MAX_DIGITS or (i, j) == (0, len(pieces) - 1) or _extends_grouping(pieces, i, j):
                continue
            stretch = [g for piece in pieces[i : j + 1] for g in piece]
            found = _read(
                text,
                stretch,
                plus=plus and i == 0,
                x_end=x_end and j == len(pieces) - 1,
                start=start if i == 0 else stretch[0][0],
            )
            if found is not None:
                yield found
                i = j
                break
        i += 1


def _extends_grouping(pieces: list[list[Span]], i: int, j: int) -> bool:
    """Whether a grouped stretch has a short group beside it, so it is part of a longer number.

    ``6938 8229 2317 7621 289`` is one 19-digit number even if its first 16 digits pass Luhn;
    ``2024-03-01 138 0013 8000`` is a date and a phone.
    """
    if sum(len(piece) for piece in pieces[i : j + 1]) < 2:
        return False
    neighbours = [pieces[k] for k in (i - 1, j + 1) if 0 <= k < len(pieces)]
    return any(len(piece) == 1 and _width(piece[0]) <= _GROUP_WIDTH for piece in neighbours)


def _read(text: str, groups: list[Span], *, plus: bool, x_end: bool, start: int) -> Detection | None:
    """The groups read as one number: its kind and normalised value, or None."""
    digits = "".join(text[s:e] for s, e in groups)
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        return None
    shape = tuple(_width(g) for g in groups)
    end = groups[-1][1] + x_end
    before = _context_before(text, start)
    kind_value = _classify(digits, shape, plus=plus, x_end=x_end, before=before)
    if kind_value is None:
        return None
    return Detection(start, end, *kind_value)


def _classify(
    digits: str, shape: tuple[int, ...], *, plus: bool, x_end: bool, before: str
) -> tuple[PiiKind, str] | None:
    """Kind and normalised value of ``digits`` written in groups of ``shape``, or None."""
    if x_end:
        number = digits + "X"
        return ("id", number) if _is_resident_id(number, (*shape[:-1], shape[-1] + 1)) else None
    if len(digits) == 18 and _is_resident_id(digits, shape):
        return "id", digits
    phone = _cn_phone(digits, shape, plus=plus)
    if phone is not None:
        return "phone", phone
    if plus or _REFERENCE_WORDS.search(before):
        return None
    old_id = len(digits) == 15 and _is_old_resident_id(digits, shape)
    if _is_card(digits, shape) and not (old_id and _CARD_WORDS.search(before) is None):
        return "card", digits
    if old_id:
        return "id", digits
    return None


def _is_resident_id(number: str, shape: tuple[int, ...]) -> bool:
    return (
        (shape in _ID_SHAPES or _spoken(shape))
        and number[:2] in _PROVINCES
        and _is_date(number[6:14])
        and ric.calc_check_digit(number) == number[-1]
    )


def _is_old_resident_id(digits: str, shape: tuple[int, ...]) -> bool:
    return (
        (shape in _OLD_ID_SHAPES or _spoken(shape))
        and digits[:2] in _PROVINCES
        and _is_date("19" + digits[6:12])
    )


def _is_card(digits: str, shape: tuple[int, ...]) -> bool:
    return (
        13 <= len(digits) <= 19
        and digits[0] != "0"
        and _card_shape(shape)
        and not _is_date(digits[:8])
        and len(set(digits)) > 1
        and luhn.is_valid(digits)
    )


def _card_shape(shape: tuple[int, ...]) -> bool:
    if len(shape) == 1 or _spoken(shape) or shape in ((4, 6, 5), (4, 6, 4)):
        return True
    return all(n == 4 for n in shape[:-1]) and 1 <= shape[-1] <= 4


def _cn_phone(digits: str, shape: tuple[int, ...], *, plus: bool) -> str | None:
    """``+86`` and the national number, when ``digits`` is a CN mobile or landline."""
    national, rest = digits, shape
    prefix = ""
    if digits.startswith("0086") and not plus:
        prefix = "0086"
    elif digits.startswith("86") and (plus or shape[0] == 2 or len(digits) == 13):
        prefix = "86"
    elif plus:
        return None
    if prefix:
        national = digits[len(prefix) :]
        rest = shape[1:] if shape[0] == len(prefix) else (shape[0] - len(prefix), *shape[1:])
        if not rest or rest[0] <= 0:
            return None
    if _MOBILE.fullmatch(national):
        return f"+86{national}" if rest in _MOBILE_SHAPES or _spoken(rest) else None
    if prefix == "86" and not plus and shape[0] != 2:
        return None  # 86 glued to a landline reads as any 13-digit number
    if prefix and not national.startswith("0"):
        national, rest = "0" + national, (rest[0] + 1, *rest[1:])
    if _LANDLINE.fullmatch(national) and _landline_shape(national, rest):
        return f"+86{national[1:]}"
    return None


def _landline_shape(national: str, shape: tuple[int, ...]) -> bool:
    area = 3 if national[1] in "12" else 4
    local = shape[1:]
    return (
        len(shape) == 1
        or _spoken(shape)
        or (shape[0] == area and local in ((7,), (8,), (3, 4), (4, 4), (4, 3)))
    )


def _international_phones(text: str) -> Iterator[Detection]:
    """Numbers written with ``+`` and another country code, valid for that country's plan."""
    for match in phonenumbers.PhoneNumberMatcher(text, None, leniency=phonenumbers.Leniency.VALID):
        number = match.number
        if number.country_code == 86 or phonenumbers.number_type(number) in _NOT_PERSONAL:
            continue
        value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        yield Detection(match.start, match.end, "phone", value)


def _is_date(yyyymmdd: str) -> bool:
    """Whether eight digits are a date between 1900 and 2099 (birth dates, order-number stems)."""
    if len(yyyymmdd) != 8 or not yyyymmdd.startswith(("19", "20")):
        return False
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def _spoken(shape: tuple[int, ...]) -> bool:
    """Digits one by one with spaces between, as a recogniser writes a number read aloud."""
    return len(shape) >= 7 and all(n == 1 for n in shape)


def _width(span: Span) -> int:
    return span[1] - span[0]


def _first_digit(text: str, start: int) -> int:
    return start if text[start] != "+" else start + 1 + (text[start + 1] == " ")


def _context_before(text: str, start: int) -> str:
    """Up to 16 characters before ``start``, back to the previous digit."""
    window = text[max(0, start - _CONTEXT_CHARS) : start]
    for index in range(len(window) - 1, -1, -1):
        if window[index].isdigit():
            return window[index + 1 :]
    return window


def _glued_to_letters(text: str, start: int, end: int) -> bool:
    """Whether the run is part of a code such as ``TX20240301`` or ``12345ABC``."""
    return (start > 0 and text[start - 1].isascii() and text[start - 1].isalpha()) or (
        end < len(text) and text[end].isascii() and text[end].isalpha()
    )


def _is_amount(text: str, start: int, end: int) -> bool:
    """Whether currency, a unit, a decimal point or thousands separators surround the run."""
    return (
        _AMOUNT_BEFORE.search(text, max(0, start - 4), start) is not None
        or _AMOUNT_AFTER.match(text, end) is not None
    )
