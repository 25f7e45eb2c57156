"""Text out of Redis replies.

The API and the workers share one Redis client without ``decode_responses``: some values are binary
(model snapshots), so keys, ids and text fields come back as bytes and are decoded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["as_optional_text", "as_text", "as_text_fields"]


def as_text(value: object) -> str:
    """A reply value as text: bytes decoded as UTF-8, anything else through ``str``.

    Examples
    --------
    >>> as_text(b"1700000000000-0"), as_text("ok"), as_text(3)
    ('1700000000000-0', 'ok', '3')
    """
    return value.decode() if isinstance(value, bytes) else str(value)


def as_optional_text(value: object) -> str | None:
    """:func:`as_text`, keeping None (a missing key) as None.

    Examples
    --------
    >>> as_optional_text(b"v3"), as_optional_text(None)
    ('v3', None)
    """
    return None if value is None else as_text(value)


def as_text_fields(raw: Mapping[Any, object]) -> dict[str, str]:
    """A hash reply (``HGETALL``) with its fields and values as text.

    Examples
    --------
    >>> as_text_fields({b"name": b"ops", "role": "admin"})
    {'name': 'ops', 'role': 'admin'}
    """
    return {as_text(key): as_text(value) for key, value in raw.items()}
