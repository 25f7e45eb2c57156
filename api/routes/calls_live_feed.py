"""Live calls pushed to the dashboards: ``WS /ws/live-calls``.

On connect the client gets ``{"event": "snapshot", "calls": [...]}`` (every live call with its
transcript so far, as ``GET /api/v1/calls/{id}`` shows it), then one message per change, in order:

- ``{"event": "started", "call_id", "call": {...summary...}}``;
- ``{"event": "partial", "call_id", "partial"}``: the words of the utterance in progress changed;
- ``{"event": "utterance", "call_id", "utterance": {...}}``: a final utterance with its ``risk`` and
  ``risk_level``;
- ``{"event": "ended", "call_id", "end_reason", "ended_at"}``.

Events may repeat what the snapshot holds (a client keys utterances by ``index``). Each message
carries ``stream_id``. Memory per client is one read of at most :data:`READ_COUNT` events: the
handler reads the shared Redis stream at the pace the client takes them; a client that stops
taking them for :data:`SEND_TIMEOUT_S`, or falls behind what the stream keeps, is closed with 1013
and reconnects to a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect, status

from api.auth import require
from api.call_models import UtteranceOut, call_detail_from_redis, call_summary_from_redis
from api.deps import LiveCallsDep
from storage.call_live_state import LiveCallStore

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["calls"])

#: Events read (and held) at once per client.
READ_COUNT = 100
#: Live calls in the snapshot (the dashboard shows a few; a hotline has tens at once).
SNAPSHOT_CALLS = 100
#: A client that takes no message for this long is closed (it reconnects to a fresh snapshot).
SEND_TIMEOUT_S = 10.0


class _Lagging(Exception):
    """The client fell behind what the events stream keeps."""


@router.websocket("/ws/live-calls", dependencies=[Depends(require("calls.read", websocket=True))])
async def live_calls_feed(websocket: WebSocket, store: LiveCallsDep) -> None:
    """Push every live call's start, words in progress, final utterances (with risk) and end."""
    await websocket.accept()
    # The cursor is taken before the snapshot: nothing between the two is missed.
    cursor = await store.last_event_id()
    listener = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        await _send(websocket, {"event": "snapshot", "calls": await _snapshot(store)})
        while not listener.done():
            entries = await store.read_events(cursor, count=READ_COUNT)
            # A full read means the client is behind: check that nothing was trimmed meanwhile.
            if len(entries) == READ_COUNT and await _missed(store, cursor):
                raise _Lagging
            for entry_id, event in entries:
                message = await _message(store, event)
                if message is not None:
                    await _send(websocket, {"stream_id": entry_id, **message})
                cursor = entry_id
    except (TimeoutError, _Lagging):
        log.info("live-calls client too slow: closed at %s", cursor)
        await _close(websocket, status.WS_1013_TRY_AGAIN_LATER, "too slow: reconnect for a fresh snapshot")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        listener.cancel()


async def _snapshot(store: LiveCallStore) -> list[dict[str, Any]]:
    calls = []
    for state in await store.live_calls(SNAPSHOT_CALLS):
        detail = call_detail_from_redis(state, await store.utterances(state["call_id"]))
        calls.append(detail.model_dump(mode="json"))
    return calls


async def _message(store: LiveCallStore, event: dict[str, Any]) -> dict[str, Any] | None:
    """What the client gets for one stored event (only the fields the API shows elsewhere too)."""
    kind, call_id = event.get("event"), event.get("call_id")
    if kind == "started":
        state = await store.get_call(call_id)
        if state is None:
            return None  # refused or expired since
        return {
            "event": kind,
            "call_id": call_id,
            "call": call_summary_from_redis(state).model_dump(mode="json"),
        }
    if kind == "partial":
        return {"event": kind, "call_id": call_id, "partial": event.get("partial", "")}
    if kind == "utterance":
        utterance = UtteranceOut.model_validate(event.get("utterance") or {})
        return {"event": kind, "call_id": call_id, "utterance": utterance.model_dump(mode="json")}
    if kind == "ended":
        return {
            "event": kind,
            "call_id": call_id,
            "end_reason": event.get("end_reason"),
            "ended_at": event.get("ended_at"),
        }
    return None


async def _missed(store: LiveCallStore, cursor: str) -> bool:
    """True when the oldest event kept is newer than ``cursor``: some after it may have been
    trimmed before this client read them (rarely a false alarm: a reconnect, nothing lost)."""
    oldest = await store.oldest_event_id()
    return oldest is not None and cursor != "0-0" and _id(oldest) > _id(cursor)


def _id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    await asyncio.wait_for(websocket.send_json(message), SEND_TIMEOUT_S)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(code, reason)


async def _until_disconnect(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
