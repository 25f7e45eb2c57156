"""Personal data out of complaint texts and call transcripts before anything is produced or stored.

Detected (see :mod:`privacy.number_detection` and :mod:`privacy.name_detection` for the rules):
bank card numbers (Luhn-checked), PRC resident ID numbers (18-digit with check digit, 15-digit old
form), CN mobile and landline numbers and ``+`` international numbers, e-mail addresses, account
numbers next to an account word, and names after 我叫/姓名/my name is. Full-width digits and
numbers read aloud digit by digit (``幺三八...``) are folded first, so they are found too.

Each finding is replaced by a typed placeholder (``[CARD:…1234]``, ``[ID]``, ``[PHONE:…5678]``,
``[EMAIL]``, ``[ACCOUNT:…6789]``, ``[NAME]``): staff still see what was there and the models see
one token meaning "has a card number" instead of sixteen random digits. Each finding also carries
a keyed hash (HMAC-SHA256, first 16 hex digits) of the normalised value, so the same card across
complaints links up without the number being kept; without the key the hash cannot be reversed by
trying every mobile number.

Precision over recall where near misses are common: order and transaction numbers, amounts,
dates, times, 95555-style service numbers, the regulator's 12378 and card tails (尾号1234) are
kept. Names are found only where a phrase introduces them: a bare name in running Chinese text is
indistinguishable from words without a segmenter and a name dictionary, and over-redacting it
would cost the models the complaint's words.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from privacy.detection import Detection, PiiKind
from privacy.name_detection import find_names
from privacy.number_detection import find_numbers
from privacy.text_folding import fold_text

__all__ = ["Finding", "PiiRedactor", "Redacted"]

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)
_DIGIT = re.compile(r"[0-9]")
#: Which detection wins where two overlap and start together: an e-mail address holds digits,
#: an 18-digit resident ID can also pass Luhn, a card or phone can sit after an account word.
_PRIORITY: dict[PiiKind, int] = {"email": 0, "id": 1, "card": 2, "phone": 3, "account": 4, "name": 5}
#: Placeholder formats; ``{last4}`` are the value's last four digits.
_PLACEHOLDERS: dict[PiiKind, str] = {
    "card": "[CARD:…{last4}]",
    "id": "[ID]",
    "phone": "[PHONE:…{last4}]",
    "email": "[EMAIL]",
    "account": "[ACCOUNT:…{last4}]",
    "name": "[NAME]",
}
#: Hex digits of the HMAC kept: 64 bits, no collision between two values in a lifetime of complaints.
_HASH_HEX_DIGITS = 16
#: Shortest key accepted: a short key would let someone hash every mobile number and match.
_MIN_KEY_BYTES = 16


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data: its kind, its placeholder, its keyed hash, where it was."""

    kind: PiiKind
    placeholder: str
    keyed_hash: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Redacted:
    """A redacted text and what was taken out of it, in order of position."""

    text: str
    found: tuple[Finding, ...]


class PiiRedactor:
    """Replaces personal data in a text with typed placeholders and keyed hashes.

    Parameters
    ----------
    hash_key
        Secret key of the HMAC (at least 16 bytes; callers take it from their settings). The same
        key links the same card across complaints; another key gives unrelated hashes.

    Examples
    --------
    >>> redactor = PiiRedactor(hash_key=b"not-the-production-key-32-bytes!")
    >>> result = redactor.redact("我叫张伟，卡号6222 0212 3456 7890 128，手机138-0013-8000，订单号20231125")
    >>> result.text
    '我叫[NAME]，卡号[CARD:…0128]，手机[PHONE:…8000]，订单号20231125'
    >>> [(f.kind, f.start, f.end) for f in result.found]
    [('name', 2, 4), ('card', 7, 30), ('phone', 33, 46)]
    >>> redactor.redact("card 6222021234567890128").found[0].keyed_hash == result.found[1].keyed_hash
    True
    >>> redactor.redact("Refund ¥1,299.00 to my account by 2024-03-01, ref 95588").text
    'Refund ¥1,299.00 to my account by 2024-03-01, ref 95588'
    """

    def __init__(self, hash_key: bytes) -> None:
        if len(hash_key) < _MIN_KEY_BYTES:
            raise ValueError(f"hash_key must be at least {_MIN_KEY_BYTES} bytes")
        self.hash_key = hash_key

    def redact(self, text: str) -> Redacted:
        """``text`` with every piece of personal data replaced by its placeholder."""
        folded = fold_text(text)
        detections: list[Detection] = []
        if "@" in folded:
            detections.extend(
                Detection(m.start(), m.end(), "email", m.group().lower()) for m in _EMAIL.finditer(folded)
            )
        if _DIGIT.search(folded) is not None:
            detections.extend(find_numbers(folded))
        detections.extend(find_names(folded))
        if not detections:
            return Redacted(text, ())
        parts: list[str] = []
        found: list[Finding] = []
        cursor = 0
        for detection in _without_overlaps(detections):
            finding = self._finding(detection)
            parts.append(text[cursor : detection.start])
            parts.append(finding.placeholder)
            found.append(finding)
            cursor = detection.end
        parts.append(text[cursor:])
        return Redacted("".join(parts), tuple(found))

    def keyed_hash(self, value: str) -> str:
        """The HMAC-SHA256 of a normalised value, first 16 hex digits."""
        return hmac.digest(self.hash_key, value.encode(), "sha256").hex()[:_HASH_HEX_DIGITS]

    def _finding(self, detection: Detection) -> Finding:
        last4 = "".join(c for c in detection.value if c.isdigit())[-4:]
        return Finding(
            kind=detection.kind,
            placeholder=_PLACEHOLDERS[detection.kind].format(last4=last4),
            keyed_hash=self.keyed_hash(detection.value),
            start=detection.start,
            end=detection.end,
        )


def _without_overlaps(detections: list[Detection]) -> list[Detection]:
    """Leftmost first; of two starting together the longer, then the higher priority."""
    ordered = sorted(detections, key=lambda d: (d.start, d.start - d.end, _PRIORITY[d.kind]))
    kept: list[Detection] = []
    for detection in ordered:
        if not kept or detection.start >= kept[-1].end:
            kept.append(detection)
    return kept
