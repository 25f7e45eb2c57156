"""Strict decoding of raw topic values; what cannot be read goes to the dead-letter topic once
(the worker's ``Topics.deadletter``, handed in by each agent)."""

from __future__ import annotations

import logging
import time
from typing import TypeVar

import faust
from pydantic import BaseModel, ValidationError

from events.records import DeadLetter

__all__ = ["dead_letter", "decode_or_dead_letter"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: Dead letters keep this much of the payload: enough to debug, bounded for a hostile producer.
MAX_PAYLOAD_CHARS = 4096


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "value"
        return f"{first['type']} at {where}: {first['msg']} ({exc.error_count()} error(s))"
    return f"{type(exc).__name__}: {exc}"


async def decode_or_dead_letter(event: faust.EventT, model: type[M], deadletter: faust.ChannelT) -> M | None:
    """The event's value as ``model``, or None after dead-lettering it (to ``deadletter``) with the reason."""
    raw = event.value
    try:
        if not isinstance(raw, bytes | str):
            raise TypeError(f"value is {type(raw).__name__}, not JSON bytes")
        return model.model_validate_json(raw)
    except (ValidationError, ValueError, TypeError) as exc:
        await dead_letter(event, exc, as_what=model.__name__, to=deadletter)
        return None


async def dead_letter(event: faust.EventT, exc: Exception, *, as_what: str, to: faust.ChannelT) -> None:
    """Send the unreadable ``event`` to the dead-letter topic ``to`` with why it could not be read."""
    raw = event.value
    message = event.message
    reason = _reason(exc)
    letter = DeadLetter(
        source_topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        reason=reason,
        payload=(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:MAX_PAYLOAD_CHARS],
        at=time.time(),
    )
    await to.send(key=message.key, value=letter.model_dump_json().encode())
    log.warning(
        "dead-lettered %s[%d]@%d as %s: %s",
        message.topic,
        message.partition,
        message.offset,
        as_what,
        reason,
        extra={"event_id": (message.key or b"").decode("utf-8", "replace")[:64], "topic": message.topic},
    )
