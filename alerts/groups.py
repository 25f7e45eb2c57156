"""Group keys: the string that names one counted series of a rule (its tag and group-by values).

A group key is part of the Kafka message key (``rule_id|group``), the window table key and the
alert dedup key (``rule_id|group|window_start``), so it must be deterministic and must never contain
``|``. It reads like a query string, ``tag=card_arrival&branch=Main%20St``, with every value
percent-encoded (so ``|``, ``&`` and ``=`` in a branch name cannot break it) and a field without a
value written as its bare name, which keeps "no branch" distinct from an empty branch name.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, unquote

__all__ = ["decode_group", "encode_group"]


def encode_group(tag: str, fields: Iterable[tuple[str, str | None]] = ()) -> str:
    """Group key for ``tag`` and the ordered ``(field, value)`` pairs a rule groups by.

    Examples
    --------
    >>> encode_group("card_arrival")
    'tag=card_arrival'
    >>> encode_group("card_arrival", [("branch", "A|B & C"), ("line", None)])
    'tag=card_arrival&branch=A%7CB%20%26%20C&line'
    """
    parts = [f"tag={quote(tag, safe='')}"]
    for name, value in fields:
        parts.append(name if value is None else f"{name}={quote(value, safe='')}")
    return "&".join(parts)


def decode_group(group: str) -> tuple[str, dict[str, str | None]]:
    """The tag and the group-by values of a group key (inverse of :func:`encode_group`).

    Examples
    --------
    >>> decode_group("tag=card_arrival&branch=A%7CB%20%26%20C&line")
    ('card_arrival', {'branch': 'A|B & C', 'line': None})
    """
    tag: str | None = None
    fields: dict[str, str | None] = {}
    for part in group.split("&"):
        name, eq, raw = part.partition("=")
        value = unquote(raw) if eq else None
        if name == "tag":
            tag = value
        else:
            fields[name] = value
    if tag is None:
        raise ValueError(f"group key without a tag: {group!r}")
    return tag, fields
