"""A webhook receiver on loopback for the tests: records every request, fails on demand."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    at: float


@dataclass
class Receiver:
    """``/ok`` answers 200; ``/flaky`` answers 500 to its first ``flaky_failures`` requests;
    ``/bad`` always 400; ``/refuses`` 200 with a robot error code (as WeCom/DingTalk do)."""

    port: int = 0
    flaky_failures: int = 2
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    def wait(self, path: str, n: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.at(path))} request(s), expected {n}")


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            path = self.path.split("?")[0]
            with receiver.lock:
                receiver.requests.append(Received(self.path, body, time.time()))
                seen = sum(1 for r in receiver.requests if r.path.split("?")[0] == path)
            if path == "/bad":
                self._answer(400, {"error": "bad request"})
            elif path == "/flaky" and seen <= receiver.flaky_failures:
                self._answer(500, {"error": "try later"})
            elif path == "/refuses":
                self._answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
            else:
                self._answer(200, {"errcode": 0, "errmsg": "ok"})

        def _answer(self, code: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
