"""Escalation risk of one utterance, from weighted key phrases (Korean, Chinese, English).

A caller who names the regulator, a lawyer or the press is about to escalate; the monitoring room
wants to know during the call, not at T+1. The score is deliberately transparent: each matched
phrase has a weight (the chance, on its own, that the call escalates), and the phrases combine as
a noisy-OR, ``1 - prod(1 - w)``, so more distinct signals give a higher score and the matched
phrases are reported as the reason. Matching is on NFKC-lowercased text; Latin phrases match whole
words, Hangul and Chinese phrases match anywhere (Korean attaches particles, Chinese has no spaces).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_RISK_PHRASES",
    "RISK_PHRASES_BY_LANGUAGE",
    "EscalationRiskScorer",
    "RiskLevel",
    "RiskScore",
    "risk_phrases",
]

RiskLevel = Literal["none", "low", "medium", "high"]

#: Language (ISO 639-1) -> phrase -> weight in (0, 1]. Regulators, courts and the press weigh
#: most; a plain complaint or refund request least.
RISK_PHRASES_BY_LANGUAGE: Mapping[str, Mapping[str, float]] = {
    "ko": {
        "금융감독원": 0.7,
        "금감원": 0.7,
        "금융위원회": 0.6,
        "소송": 0.6,
        "고소": 0.5,
        "변호사": 0.5,
        "법원": 0.5,
        "언론": 0.5,
        "기자": 0.4,
        "방송": 0.3,
        "경찰": 0.4,
        "신고": 0.3,
        "민원": 0.3,
        "사기": 0.4,
        "보이스피싱": 0.5,
        "피싱": 0.4,
        "도용": 0.4,
        "환불": 0.25,
        "보상": 0.25,
        "해지": 0.25,
        "책임자": 0.3,
        "화가": 0.2,
    },
    "zh": {
        "投诉": 0.3,
        "银保监": 0.7,
        "金融监管": 0.6,
        "12378": 0.7,
        "监管": 0.4,
        "律师": 0.5,
        "起诉": 0.6,
        "法院": 0.5,
        "媒体": 0.5,
        "曝光": 0.5,
        "记者": 0.4,
        "报警": 0.5,
        "欺诈": 0.4,
        "诈骗": 0.4,
        "盗刷": 0.4,
        "退款": 0.25,
        "赔偿": 0.3,
        "销户": 0.25,
    },
    "en": {
        "regulator": 0.6,
        "ombudsman": 0.6,
        "financial conduct authority": 0.7,
        "lawyer": 0.5,
        "attorney": 0.5,
        "sue": 0.6,
        "lawsuit": 0.6,
        "court": 0.4,
        "media": 0.4,
        "journalist": 0.4,
        "police": 0.4,
        "fraud": 0.4,
        "scam": 0.4,
        "complaint": 0.3,
        "refund": 0.25,
        "compensation": 0.3,
        "close my account": 0.25,
        "supervisor": 0.2,
        "manager": 0.2,
        "unacceptable": 0.3,
        "escalate": 0.3,
    },
}
#: Every language's phrases: what a call is scored by when its model's language is unknown.
DEFAULT_RISK_PHRASES: Mapping[str, float] = {
    phrase: weight for phrases in RISK_PHRASES_BY_LANGUAGE.values() for phrase, weight in phrases.items()
}


def risk_phrases(language: str | None) -> Mapping[str, float]:
    """The key phrases for transcripts in ``language`` (a Vosk model's, see ``model_language``);
    every language's when it is unknown or has no list of its own.

    Examples
    --------
    >>> "银保监" in risk_phrases("zh"), "금감원" in risk_phrases("zh"), "금감원" in risk_phrases(None)
    (True, False, True)
    """
    return RISK_PHRASES_BY_LANGUAGE.get(language or "", DEFAULT_RISK_PHRASES)


@dataclass(frozen=True, slots=True)
class RiskScore:
    """A score in [0, 1], its level, and the phrases that made it (in order of first mention)."""

    score: float
    level: RiskLevel
    terms: tuple[str, ...]


class EscalationRiskScorer:
    """Score texts by the weighted key phrases they contain.

    Parameters
    ----------
    phrases
        ``{phrase: weight}`` with weights in (0, 1].
    thresholds
        Lower bounds of the ``low``, ``medium`` and ``high`` levels.

    Examples
    --------
    >>> scorer = EscalationRiskScorer()
    >>> scorer.score_one("금융감독원에 민원을 넣겠습니다")
    RiskScore(score=0.79, level='medium', terms=('금융감독원', '민원'))
    >>> scorer.score_one("I will call my LAWYER and the regulator").level
    'high'
    >>> scorer.score_one("thanks, the card arrived")
    RiskScore(score=0.0, level='none', terms=())
    """

    def __init__(
        self,
        phrases: Mapping[str, float] = DEFAULT_RISK_PHRASES,
        *,
        thresholds: tuple[float, float, float] = (0.2, 0.5, 0.8),
    ) -> None:
        if not all(0.0 < w <= 1.0 for w in phrases.values()):
            raise ValueError("phrase weights must be in (0, 1]")
        if not 0.0 < thresholds[0] <= thresholds[1] <= thresholds[2] <= 1.0:
            raise ValueError("thresholds must increase within (0, 1]")
        self.phrases = {self._normalize(p).strip(): w for p, w in phrases.items()}
        self.thresholds = thresholds
        self._pattern = self._compile(sorted(self.phrases, key=len, reverse=True))

    def score_one(self, text: str) -> RiskScore:
        """The risk of ``text``; each phrase counts once however often it is said."""
        found = self._pattern.findall(self._normalize(text))
        terms = tuple(dict.fromkeys(" ".join(match.split()) for match in found))
        keep_out = 1.0
        for term in terms:
            keep_out *= 1.0 - self.phrases[term]
        score = round(1.0 - keep_out, 4)
        return RiskScore(score, self._level(score), terms)

    def _level(self, score: float) -> RiskLevel:
        low, medium, high = self.thresholds
        if score >= high:
            return "high"
        if score >= medium:
            return "medium"
        return "low" if score >= low else "none"

    @staticmethod
    def _normalize(text: str) -> str:
        return unicodedata.normalize("NFKC", text).lower()

    @staticmethod
    def _compile(phrases: list[str]) -> re.Pattern[str]:
        parts = []
        for phrase in phrases:
            part = r"\s+".join(re.escape(word) for word in phrase.split())
            if phrase[0].isascii() and phrase[0].isalnum():
                part = r"(?<![a-z0-9])" + part
            if phrase[-1].isascii() and phrase[-1].isalnum():
                part += r"(?![a-z0-9])"
            parts.append(part)
        return re.compile("|".join(parts) or r"(?!)")
