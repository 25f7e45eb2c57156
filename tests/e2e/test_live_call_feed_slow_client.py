"""A dashboard that stops reading ``WS /ws/live-calls`` is closed (1013), not buffered without bound."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from urllib.parse import urlencode

import pytest
import redis.asyncio as aioredis
import websockets
from websockets.exceptions import ConnectionClosed

from api.routes.calls_live_feed import SEND_TIMEOUT_S
from storage.call_live_state import LIVE_EVENTS_MAXLEN, LiveCallStore
from tests.conftest import Pipeline

pytestmark = pytest.mark.services

#: Big words in progress, so that a few thousand events fill the socket buffers on both sides.
PARTIAL_CHARS = 4000
EVENTS = 4000


async def test_a_client_that_stops_reading_is_closed_with_1013(pipeline: Pipeline) -> None:
    settings = pipeline.stack.settings
    url = f"ws://127.0.0.1:{settings.api_port}/ws/live-calls?{urlencode({'token': pipeline.stack.token})}"
    call_id = f"flood-{secrets.token_hex(4)}"
    # A small queue: the client stops taking frames off the socket once it holds two messages (no
    # compression, or the repetitive words would hardly fill a buffer).
    async with websockets.connect(url, max_queue=2, max_size=None, compression=None) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 30))["event"] == "snapshot"
        client = aioredis.Redis.from_url(settings.redis_url)
        store = LiveCallStore(client, key_prefix=settings.redis_key_prefix, ended_ttl_s=60)
        try:
            async with client.pipeline(transaction=False) as pipe:
                for i in range(EVENTS):
                    event = {"event": "partial", "call_id": call_id, "partial": f"{i} " + "x" * PARTIAL_CHARS}
                    pipe.xadd(store.events_key, {"e": json.dumps(event)}, maxlen=LIVE_EVENTS_MAXLEN)
                await pipe.execute()
        finally:
            await client.aclose()
        started = time.monotonic()
        await asyncio.sleep(SEND_TIMEOUT_S + 5)  # not reading
        received = 0
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 30)
                received += 1
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013, closed.value
    assert received < EVENTS, "everything was buffered for the slow client"
    assert time.monotonic() - started < SEND_TIMEOUT_S + 60
