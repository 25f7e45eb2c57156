"""What a detector reports: where a piece of personal data sits and its normalised value.

The detectors (numbers, e-mail addresses, names) only find and normalise; placeholders, keyed
hashes and the choice between overlapping detections belong to :class:`privacy.PiiRedactor`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["Detection", "PiiKind"]

PiiKind = Literal["card", "id", "phone", "email", "account", "name"]


class Detection(NamedTuple):
    """``text[start:end]`` holds personal data of ``kind``, normalised to ``value``.

    ``value`` is what the keyed hash is taken of, so the same card written with or without
    spaces, or the same mobile with or without ``+86``, links across complaints.
    """

    start: int
    end: int
    kind: PiiKind
    value: str
