"""Personal data never stored raw (issue 15 item 3): complaints (one and batch) and ticket-event
notes holding a card number, a resident ID, mobiles and an e-mail address go through the API, and
a live call (``/ws/calls``) and a recorded one (``POST /api/v1/calls``) come in from a caller whose
reference is a mobile number; then Kafka's topics, every text column of every ClickHouse table,
every Redis key of the stack, the CSV export, the daily report, the alert and live-call websocket
feeds and the logs are searched for the raw values: none may be there, and the placeholders must
be (or the search would prove nothing).

What the caller says is redacted in the worker by the same library (``streams.call_redaction``,
its doctest): espeak's Korean speech cannot make the Korean model say
a number digit by digit (measured: 11 digits come back as 8-10 mostly wrong ones)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from typing import Any

import httpx
import pytest
import redis
import websockets
from clickhouse_driver.errors import ServerException

from hotline.bench.asr_speech import speech_tools_missing, synthesize_speech, wav_bytes
from storage.clickhouse import DriverExecutor
from tests.conftest import Pipeline
from tests.e2e.vosk_clients import EOF_TEXT, lockstep, new_call_id, read_until_closed, ws_url
from tests.topic_records import read_topics

pytestmark = pytest.mark.services

CARD = "6222021234567894"  # Luhn-valid, made up
CARD_SPACED = "6222 0212 3456 7894"
RESIDENT_ID = "11010519491231002X"  # valid check digit, made up
MOBILE = "13912345678"
MOBILE_INTL = "+86 139 8765 4321"
EMAIL = "zhang.wei.test@example.com"
RAW = (CARD, CARD_SPACED, RESIDENT_ID, MOBILE, "13987654321", EMAIL)


def _texts(run: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{run}-zh", "channel": "app", "branch": "pii-test",
         "text": f"我的卡号{CARD}被盗刷了，身份证{RESIDENT_ID}，请打我手机{MOBILE}，邮箱{EMAIL}"},
        {"id": f"{run}-en", "channel": "email", "branch": "pii-test",
         "text": f"My card {CARD_SPACED} was charged twice. Call me on {MOBILE_INTL} or write to {EMAIL}."},
    ]  # fmt: skip


def _clickhouse_hits(executor: DriverExecutor, raw: str) -> list[str]:
    """``table.column`` of every String column of the stack's database holding ``raw``."""
    database = executor.execute("SELECT currentDatabase()")[0][0]
    columns = executor.execute(
        "SELECT table, name FROM system.columns WHERE database = %(db)s AND type LIKE '%%String%%'"
        " AND type NOT LIKE 'Array%%'",
        {"db": database},
    )
    hits = []
    for table, column in columns:
        count = executor.execute(
            f"SELECT count() FROM `{table}` WHERE positionUTF8(toString(`{column}`), %(raw)s) > 0",
            {"raw": raw},
        )[0][0]
        if count:
            hits.append(f"{table}.{column}")
    return hits


async def _topic_values(pipeline: Pipeline, *names: str) -> list[bytes]:
    return [r.value or b"" for r in await read_topics(pipeline.stack.settings, *names)]


def _redis_dump(pipeline: Pipeline) -> bytes:
    client = redis.Redis.from_url(pipeline.stack.settings.redis_url)
    out = []
    for key in client.scan_iter(f"{pipeline.stack.settings.redis_key_prefix}:*", count=1000):
        kind = client.type(key)
        if kind == b"string":
            out.append(client.get(key) or b"")
        elif kind == b"hash":
            out += [k + b"=" + v for k, v in client.hgetall(key).items()]
        elif kind == b"list":
            out += client.lrange(key, 0, -1)
        elif kind in (b"set", b"zset"):
            out += [m for m in (client.smembers(key) if kind == b"set" else client.zrange(key, 0, -1))]
        elif kind == b"stream":
            out += [repr(fields).encode() for _, fields in client.xrange(key, count=200_000)]
    return b"\n".join(out)


async def _calls_from(pipeline: Pipeline, http: httpx.AsyncClient, caller: str) -> list[str]:
    """A live call and a recorded one whose caller reference is ``caller``; their ids."""
    speech = synthesize_speech(["환불"])
    live = new_call_id("pii-live")
    async with websockets.connect(ws_url(pipeline, live, caller_ref=caller, branch="pii-test")) as ws:
        await lockstep(ws, speech, 3200)
        await ws.send(EOF_TEXT)
        await read_until_closed(ws)
    recorded = await http.post(
        "/api/v1/calls",
        params={"caller_ref": caller, "branch": "pii-test"},
        content=wav_bytes(speech, 8000),
        headers={"Content-Type": "audio/wav"},
    )
    assert recorded.status_code == 202, recorded.text
    return [live, recorded.json()["call_id"]]


async def _stored_calls(executor: DriverExecutor, call_ids: list[str]) -> list[tuple[str, str]]:
    """``(call_id, customer_ref_hash)`` of the calls ClickHouse holds, waiting for both."""
    deadline = time.monotonic() + 90
    rows: list[tuple[str, str]] = []
    while time.monotonic() < deadline and len(rows) < len(call_ids):
        with contextlib.suppress(ServerException):
            rows = executor.execute(
                "SELECT call_id, customer_ref_hash FROM calls FINAL WHERE call_id IN %(ids)s",
                {"ids": tuple(call_ids)},
            )
        await asyncio.sleep(0.5)
    return rows


class _Feed:
    """A websocket feed (alerts, live calls) recorded while the test runs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.messages: list[str] = []

    async def run(self) -> None:
        async with websockets.connect(self.url) as ws:
            async for message in ws:
                self.messages.append(message if isinstance(message, str) else message.decode())


async def test_no_raw_personal_data_anywhere(pipeline: Pipeline) -> None:
    run = secrets.token_hex(3)
    one, other = _texts(run)
    one["regulator_forwarded"] = True  # so an alert about it goes out on the feed
    one["regulator_ref"] = f"12378-{run}"
    base = f"ws://127.0.0.1:{pipeline.stack.settings.api_port}"
    feeds = [
        _Feed(f"{base}/ws/alerts?token={pipeline.stack.token}"),
        _Feed(f"{base}/ws/live-calls?token={pipeline.stack.token}"),
    ]
    readers = [asyncio.ensure_future(feed.run()) for feed in feeds]
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient(base_url=pipeline.url, headers=pipeline.stack.auth(), timeout=30) as http:
        assert (await http.post("/api/v1/complaints", json=one)).status_code == 202
        assert (await http.post("/api/v1/complaints/batch", json={"complaints": [other]})).status_code == 202
        note = f"customer called back from {MOBILE}, card {CARD} blocked"
        event = await http.post(
            f"/api/v1/complaints/{run}-zh/events", json={"kind": "responded", "note": note}
        )
        assert event.status_code == 202, event.text
        calls = await _calls_from(pipeline, http, MOBILE) if not speech_tools_missing() else []

        executor = DriverExecutor.from_url(pipeline.stack.settings.clickhouse_url)
        deadline = time.monotonic() + 60
        stored: list[tuple[str]] = []
        while time.monotonic() < deadline and len(stored) < 2:
            with contextlib.suppress(ServerException):  # the worker may not have made its tables yet
                stored = executor.execute(
                    "SELECT text FROM complaints WHERE event_id IN %(ids)s", {"ids": (one["id"], other["id"])}
                )
            await asyncio.sleep(0.5)
        assert len(stored) == 2, "the complaints were not stored"
        texts = " ".join(t for (t,) in stored)
        assert "[CARD:…7894]" in texts and "[ID]" in texts and "[PHONE:…5678]" in texts and "[EMAIL]" in texts
        assert "[PHONE:…4321]" in texts
        if calls:
            stored_calls = await _stored_calls(executor, calls)
            assert len(stored_calls) == 2 and all(ref for _, ref in stored_calls), stored_calls

        export = (await http.get("/api/v1/exports/complaints.csv", params={"branch": "pii-test"})).text
        report = (await http.get("/api/v1/reports/daily.html")).text
    assert "[CARD:…7894]" in export

    for reader in readers:
        reader.cancel()
    pushed = "\n".join(m for feed in feeds for m in feed.messages)
    assert one["id"] in pushed  # the forwarded complaint's alert was pushed: the feed was read
    topics = b"\n".join(await _topic_values(pipeline, "complaints.in", "tickets", "calls.audio"))
    assert b"[EMAIL]" in topics
    redis_dump = _redis_dump(pipeline)
    logs = pipeline.log("api") + pipeline.log("worker")
    for raw in RAW:
        assert _clickhouse_hits(executor, raw) == [], raw
        assert raw.encode() not in topics, raw
        assert raw.encode() not in redis_dump, raw
        assert raw not in export and raw not in report and raw not in logs, raw
        assert raw not in pushed, raw
