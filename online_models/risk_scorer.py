"""Risk of a complaint or a call utterance escalating: threats to go to the regulator (12378), the
media, a lawyer or court; anger; a vulnerable customer; talk of self-harm.

Transparent on purpose: a supervisor must see WHY something is flagged, and a wrong flag must be
fixable by editing a phrase list, not by retraining. Each category has a weight; a text's score
is the noisy-OR of the categories it hits, ``1 - prod(1 - weight)``, in [0, 1], and every hit is
returned as a reason. Matching is on NFKC-lowercased text: English phrases match whole words,
Chinese ones anywhere; a hit right after a negation ("I will not sue", "不会起诉") is ignored.

Examples
--------
>>> scorer = RiskScorer()
>>> result = scorer.score_one("再不处理我就打12378投诉，还要找媒体曝光！")
>>> round(result.score, 2), sorted(result.categories)
(0.8, ['media', 'regulator'])
>>> [(r.category, r.phrase) for r in result.reasons]
[('regulator', '12378'), ('media', '媒体'), ('media', '曝光')]
>>> scorer.score_one("I will contact my lawyer and take you to court").categories
('legal',)
>>> scorer.score_one("I will not sue, just fix my card").score
0.0
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from online_models.featurizers import normalize_text
from online_models.phrase_matcher import PhraseMatcher

__all__ = ["DEFAULT_RISK_PATTERNS", "RiskPattern", "RiskReason", "RiskScore", "RiskScorer"]

#: Most reasons reported per text (the strongest first); the score uses every hit.
MAX_REASONS = 8
#: Characters before a hit searched for a negation.
_NEGATION_WINDOW = 24
_NEGATED = re.compile(
    r"(?:\b(?:not|never|no|won't|wont|don't|dont|wouldn't|without)\s+(?:\w+\s+){0,2}"
    r"|(?:不会|不想|不要|不打算|不用|不必|无意|没有|没打算|并非)\S{0,3})$"
)
# Shouting: three or more exclamation marks (half- or full-width), or a text of at least
# _CAPS_MIN_WORDS Latin words mostly in capitals (a few capitals are just ATM, PIN, USD).
_SHOUTING = re.compile(r"[!！]{3,}")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CAPS_WORD = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?![A-Za-z])")  # a whole Latin word in capitals
_CAPS_MIN_WORDS = 4
_CAPS_SHARE = 0.6
_SHOUTING_WEIGHT = 0.25


def _is_shouting(text: str) -> bool:
    if _SHOUTING.search(text):
        return True
    n_words = len(_LATIN_WORD.findall(text))
    return n_words >= _CAPS_MIN_WORDS and len(_CAPS_WORD.findall(text)) >= _CAPS_SHARE * n_words


@dataclass(frozen=True, slots=True)
class RiskPattern:
    """Phrases (Chinese or English) that signal one risk category with one weight in (0, 1]."""

    category: str
    weight: float
    phrases: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 0.0 < self.weight <= 1.0:
            raise ValueError(f"risk pattern {self.category!r}: weight must be in (0, 1]")
        if not self.phrases or any(not p.strip() for p in self.phrases):
            raise ValueError(f"risk pattern {self.category!r}: needs non-empty phrases")


@dataclass(frozen=True, slots=True)
class RiskReason:
    """One hit: its category, the phrase as listed, and the category's weight."""

    category: str
    phrase: str
    weight: float


@dataclass(frozen=True, slots=True)
class RiskScore:
    """Score in [0, 1] (0: nothing found) and the reasons, strongest first."""

    score: float
    reasons: tuple[RiskReason, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories hit, strongest first, each once."""
        return tuple(dict.fromkeys(r.category for r in self.reasons))


def _phrases(*lines: str) -> tuple[str, ...]:
    return tuple(p.strip() for line in lines for p in line.split("|") if p.strip())


DEFAULT_RISK_PATTERNS: tuple[RiskPattern, ...] = (
    RiskPattern(
        "self_harm",
        0.95,
        _phrases(
            "跳楼|自杀|不想活|活不下去|轻生|同归于尽|以死相逼",
            "kill myself|suicide|end my life|take my own life",
        ),
    ),
    RiskPattern(
        "regulator",
        0.6,
        _phrases(
            "12378|12363|银保监|银保监会|金融监管总局|国家金融监督管理总局|监管部门|监管局|监管机构",
            "人民银行|消保委|消费者协会|12315|信访|上访|市长热线|12345热线",
            "regulator|regulators|financial ombudsman|ombudsman|fca|cfpb|banking authority",
            "report you to|file a formal complaint",
        ),
    ),
    RiskPattern(
        "legal",
        0.55,
        _phrases(
            "律师|律师函|起诉|法院|诉讼|仲裁|报警|公安|立案|打官司|集体诉讼",
            "lawyer|lawyers|solicitor|attorney|sue|suing|sued|court|lawsuit|legal action|class action",
            "police|small claims",
        ),
    ),
    RiskPattern(
        "media",
        0.5,
        _phrases(
            "媒体|曝光|记者|电视台|微博|抖音|小红书|朋友圈|热搜|网上发帖|维权群|集体投诉",
            "the press|media|journalist|newspaper|social media|twitter|tiktok|go public|going public",
        ),
    ),
    RiskPattern(
        "vulnerable",
        0.4,
        _phrases(
            "老人|老年人|高龄|退休|残疾|盲人|聋|重病|癌症|住院|手术|失业|低保|孕妇|怀孕|去世|过世",
            "走投无路|还不起|救命钱",
            "elderly|pensioner|disabled|disability|wheelchair|blind|cancer|hospital|terminally ill",
            "lost my job|unemployed|can't afford|cant afford|pregnant|passed away|bereavement|dementia",
        ),
    ),
    RiskPattern(
        "anger",
        0.3,
        _phrases(
            "气愤|愤怒|太过分|欺人太甚|骗子|垃圾银行|无耻|黑心|忍无可忍|坑人|岂有此理",
            "furious|outraged|disgusting|disgrace|ridiculous|unacceptable|fed up|sick of|worst bank",
            "appalling|absolutely livid|disgraceful",
        ),
    ),
    RiskPattern(
        "repeat_complaint",
        0.3,
        _phrases(
            "多次投诉|反复投诉|第三次|一直没解决|一直没有解决|投诉无门|没人管",
            "complained several times|third time|still not resolved|still not been resolved|escalate",
            "nobody has fixed",
        ),
    ),
)


class RiskScorer:
    """Weighted phrase patterns -> a risk score with reasons (stateless, thread-safe once built).

    Parameters
    ----------
    patterns
        The categories, weights and phrases (default: ``DEFAULT_RISK_PATTERNS``). A phrase listed
        under several categories counts for the first.
    """

    def __init__(self, patterns: Sequence[RiskPattern] = DEFAULT_RISK_PATTERNS) -> None:
        self.patterns = tuple(patterns)
        self._pattern_of: dict[str, RiskPattern] = {}
        self._phrase_of: dict[str, str] = {}
        for pattern in self.patterns:
            for phrase in pattern.phrases:
                key = normalize_text(phrase).strip()
                self._pattern_of.setdefault(key, pattern)
                self._phrase_of.setdefault(key, phrase)
        self._matcher = PhraseMatcher(self._pattern_of)

    def score_one(self, text: str) -> RiskScore:
        """The risk of one complaint or utterance."""
        normalized = normalize_text(text)
        reasons: list[RiskReason] = []
        for start, _, key in self._matcher.finditer(normalized):
            window = normalized[max(0, start - _NEGATION_WINDOW) : start]
            if _NEGATED.search(window):
                continue
            pattern = self._pattern_of[key]
            reason = RiskReason(pattern.category, self._phrase_of[key], pattern.weight)
            if reason not in reasons:
                reasons.append(reason)
        if _is_shouting(text):
            reasons.append(RiskReason("anger", "shouting", _SHOUTING_WEIGHT))
        strongest: dict[str, float] = {}
        for reason in reasons:
            strongest[reason.category] = max(strongest.get(reason.category, 0.0), reason.weight)
        remaining = 1.0
        for weight in strongest.values():
            remaining *= 1.0 - weight
        ordered = sorted(reasons, key=lambda r: -r.weight)[:MAX_REASONS]
        return RiskScore(round(1.0 - remaining, 6), tuple(ordered))

    def score_many(self, texts: Sequence[str]) -> list[RiskScore]:
        return [self.score_one(text) for text in texts]
