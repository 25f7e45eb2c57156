"""Durations as people write them in rule files: ``90s``, ``60m``, ``48h``, ``15d`` (or plain seconds).

Examples
--------
>>> from pydantic import TypeAdapter
>>> TypeAdapter(Duration).validate_python("48h"), TypeAdapter(Duration).validate_python(90)
(172800, 90)
>>> format_duration(172800), format_duration(3600 * 36), format_duration(90)
('2 days', '36 h', '90 s')
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(value: object) -> object:
    """Seconds for ``"<number><s|m|h|d>"``; other values pass through for the int check."""
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if match is None:
            raise ValueError("must be seconds or a number with s, m, h or d (e.g. 60m, 48h, 15d)")
        return round(float(match.group(1)) * _UNITS[match.group(2)])
    return value


Duration = Annotated[int, BeforeValidator(parse_duration), Field(gt=0, le=366 * 86_400)]


def format_duration(seconds: float) -> str:
    """The largest whole unit: ``'15 days'``, ``'48 h'``... (for alert reasons)."""
    seconds = int(seconds)
    if seconds % 86_400 == 0:
        days = seconds // 86_400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
