"""Live alerts over a websocket, resumable: a client passes the last alert id it saw."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect

from api.auth import require_ws_token
from api.deps import RedisDep, SettingsDep
from storage.alert_stream import AlertStream

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["alerts"])

#: Longest a read blocks in Redis before checking the connection again.
READ_BLOCK_MS = 1000
READ_COUNT = 100
STREAM_ID = r"^(\$|\d+-\d+)$"


@router.websocket("/ws/alerts", dependencies=[Depends(require_ws_token)])
async def alerts_feed(
    websocket: WebSocket,
    settings: SettingsDep,
    redis: RedisDep,
    last_id: Annotated[
        str, Query(pattern=STREAM_ID, description="Resume after this alert stream id; `$` = only new ones.")
    ] = "$",
) -> None:
    """Send every alert after ``last_id`` as JSON ``{"stream_id": ..., "alert": {...}}``, in order."""
    await websocket.accept()
    stream = AlertStream(redis, key_prefix=settings.redis_key_prefix, maxlen=settings.alert_stream_maxlen)
    cursor = last_id
    if cursor == "$":
        latest = await stream.latest(1)
        cursor = latest[-1][0] if latest else "0-0"
    # Clients only listen; reading their side is how a silent disconnect is noticed.
    listener = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        while not listener.done():
            for stream_id, alert in await stream.read(cursor, count=READ_COUNT, block_ms=READ_BLOCK_MS):
                await websocket.send_json({"stream_id": stream_id, "alert": alert})
                cursor = stream_id
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        listener.cancel()
        log.debug("alerts client left at %s", cursor)


async def _until_disconnect(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
