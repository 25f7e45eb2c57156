"""The benches' ingest client against a real socket server that misbehaves the way APIs do."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from hotline.bench.ingest_client import BATCH_PATH, IngestClient


async def _serve(answers: list[bytes | None]) -> tuple[asyncio.Server, list[bytes]]:
    """Answer each connection's request with the next answer; ``None`` drops the connection."""
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(int(line[15:]) for line in lines if line.lower().startswith(b"content-length:"))
        requests.append(lines[0] + b" " + await reader.readexactly(length))
        answer = answers.pop(0)
        if answer is not None:
            writer.write(answer)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), requests


def _response(status: str, extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n{extra}\r\n{{}}".encode()


async def test_a_dropped_connection_and_a_429_end_in_the_final_answer() -> None:
    server, requests = await _serve(
        [None, _response("429 Too Many Requests", "Retry-After: 0\r\n"), _response("202 Accepted")]
    )
    port = server.sockets[0].getsockname()[1]
    sends = 0

    def sent() -> None:
        nonlocal sends
        sends += 1

    async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        ingest = IngestClient(client)
        complaint = {"id": "c1", "text": "card lost", "channel": "web"}
        response = await ingest.post_batch([complaint], on_send=sent)
    assert response.status_code == 202
    assert ingest.throttled == 1
    assert sends == 2  # once before the first send, once after the 429 wait
    assert len(requests) == 3 and all(r.startswith(b"POST " + BATCH_PATH.encode()) for r in requests)
    assert all(b'"c1"' in r for r in requests)


async def test_a_server_that_never_answers_raises_after_the_tries() -> None:
    server, requests = await _serve([None, None, None])
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        with pytest.raises(httpx.TransportError):
            await IngestClient(client).post_batch([{"id": "c1", "text": "x", "channel": "web"}])
    assert len(requests) == 3
