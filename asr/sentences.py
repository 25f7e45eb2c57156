"""A recognized utterance written as a sentence, for people reading the transcript.

Vosk writes lower-case words separated by spaces (Chinese models too, word by word) and no
punctuation. Each utterance ends at an endpoint (a pause), which is where a speaker ends a
sentence, so the running transcript reads as sentences once each utterance is closed: Chinese
words joined without spaces and ended with 。 or ？, English capitalised and ended with . or ?,
other languages ended with . or ?. The replies to a vosk-server client keep Vosk's own text.

Examples
--------
>>> as_sentence("我 的 信用卡 被 盗刷 了", "zh")
'我的信用卡被盗刷了。'
>>> as_sentence("你们 什么 时候 退款 呢", "zh")
'你们什么时候退款呢？'
>>> as_sentence("why was my card charged twice", "en")
'Why was my card charged twice?'
>>> as_sentence("카드 가 안 와요", "ko")
'카드 가 안 와요.'
"""

from __future__ import annotations

import re

__all__ = ["as_sentence"]

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: A space between two Han characters (Vosk's Chinese word boundaries).
_HAN_SPACE = re.compile(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])")
_ENDS = ".?!。？！…"
#: Sentence-final question particles of Mandarin; question words that open an English question.
_ZH_QUESTION = re.compile(r"(吗|呢|么|嘛|是不是|有没有|能不能|可不可以|为什么|怎么办|多少|几时)$")
_EN_QUESTION = re.compile(
    r"^(why|what|when|where|who|whom|whose|which|how|is|are|was|were|do|does|did|can|could|will|"
    r"would|should|shall|may|might|have|has|had|isn't|aren't|don't|doesn't|didn't|can't|won't)\b",
    re.IGNORECASE,
)
_KO_QUESTION = re.compile(r"(까|까요|나요|니까|습니까|죠|지요|어요\?|가요)$")


def as_sentence(text: str, language: str | None) -> str:
    """``text`` (one utterance) as a sentence in ``language`` (``zh``, ``en``, ``ko``; else generic)."""
    text = " ".join(text.split())
    if not text:
        return text
    if _HAN_SPACE.search(text):
        text = _HAN_SPACE.sub("", text)
    if text[-1] in _ENDS:
        return text
    if language == "zh" or (language is None and re.search(f"[{_HAN}]$", text)):
        return text + ("？" if _ZH_QUESTION.search(text) else "。")
    if language == "en":
        text = text[0].upper() + text[1:]
        return text + ("?" if _EN_QUESTION.match(text) else ".")
    if language == "ko":
        return text + ("?" if _KO_QUESTION.search(text) else ".")
    return text + "."
