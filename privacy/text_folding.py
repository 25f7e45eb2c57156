"""Length-preserving folding, so detectors match full-width and spoken digits.

Chinese input methods type full-width digits and signs (``１３８``, ``＠``, ``－``) and speech
recognisers write a spoken number as Chinese numerals (``幺三八零零``). Both are folded to ASCII
one character for one character: every offset in the folded text is an offset in the original,
so redaction can cut the original around its placeholders.

Examples
--------
>>> fold_text("手机１３８－００１３－８０００")
'手机138-0013-8000'
>>> fold_text("我的卡号是 六 二 二 二 零 二 一 二")
'我的卡号是 6 2 2 2 0 2 1 2'
>>> fold_text("一二三")
'一二三'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold_text"]

#: NFKC of the full-width and half-width forms block (FF01-FFEE) and the ideographic space, kept
#: only where NFKC gives a single character (so offsets stay put).
_WIDTH_FOLD: dict[int, str] = {
    code: folded
    for code in (0x3000, *range(0xFF01, 0xFFEF))
    if len(folded := unicodedata.normalize("NFKC", chr(code))) == 1 and folded != chr(code)
}
_NUMERALS = "零〇一二三四五六七八九幺两"
_NUMERAL_DIGITS = str.maketrans(_NUMERALS, "0012345678912")
#: Seven or more numerals in a row (single spaces allowed, as Vosk writes them): a spoken number
#: read digit by digit. Shorter runs (一二, 二零二四) are ordinary words and years.
_SPOKEN_RUN = re.compile(f"[{_NUMERALS}](?: ?[{_NUMERALS}]){{6,}}")


def fold_text(text: str) -> str:
    """``text`` with full-width forms and spoken digit runs in ASCII, same length as ``text``."""
    if text.isascii():
        return text
    text = text.translate(_WIDTH_FOLD)
    if _SPOKEN_RUN.search(text) is not None:
        text = _SPOKEN_RUN.sub(lambda m: m.group().translate(_NUMERAL_DIGITS), text)
    return text
