"""``hotline watch``: a terminal client of the live alert feed that can acknowledge and resolve.

Shows every alert event for one role as a line (``#n`` numbers the alerts for short commands),
reconnects after a network or API restart with the last stream id it saw (so it misses nothing and
shows nothing twice), and reads commands from stdin:

    ack <#n|alert id> [note]      acknowledge (recorded as --who)
    resolve <#n|alert id> [note]  resolve
    open                          list the alerts shown that are not resolved
    help, quit
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

import httpx
import websockets

from config.settings import Settings
from hotline.api_client import api_client, ws_url

__all__ = ["AlertBoard", "FeedRefused", "run_watch"]

#: Waits between reconnection attempts (doubling up to the cap).
RECONNECT_S = 0.5
RECONNECT_CAP_S = 10.0
_COLOURS = {"critical": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"
HELP = "commands: ack <#n|id> [note] | resolve <#n|id> [note] | open | help | quit"


class AlertBoard:
    """The alerts shown so far, numbered in the order they first appeared."""

    def __init__(self, *, colour: bool = False) -> None:
        self.colour = colour
        self.alerts: dict[str, dict[str, Any]] = {}
        self.numbers: dict[str, int] = {}

    def take(self, message: dict[str, Any]) -> str:
        """Record one feed message; the line to show for it."""
        alert = message["alert"]
        alert_id = alert["alert_id"]
        self.alerts[alert_id] = alert
        number = self.numbers.setdefault(alert_id, len(self.numbers) + 1)
        when = datetime.fromtimestamp(alert.get("updated_at") or alert["fired_at"]).strftime("%H:%M:%S")
        severity = str(alert["severity"]).upper()
        if self.colour:
            severity = f"{_COLOURS.get(alert['severity'], '')}{severity}{_RESET}"
        extra = ""
        if message["event"] == "updated":
            extra = f" (x{alert.get('occurrences', 1)})"
        elif message["event"] in ("acknowledged", "resolved"):
            who = alert.get("acked_by") if message["event"] == "acknowledged" else alert.get("resolved_by")
            extra = f" by {who}"
        return (
            f"{when} #{number} {severity} {message['event']}{extra}: {alert['title']} - {alert['reason']}"
            f" [{alert_id}]"
        )

    def find(self, ref: str) -> str | None:
        """The alert id for ``#n``/``n`` or an id (or a unique prefix of 4+ characters)."""
        ref = ref.lstrip("#")
        if ref.isdigit() and len(ref) < 8:
            return next((a for a, n in self.numbers.items() if n == int(ref)), None)
        matches = [a for a in self.alerts if a.startswith(ref)] if len(ref) >= 4 else []
        return matches[0] if len(matches) == 1 else (ref if len(ref) == 16 else None)

    def open_lines(self) -> list[str]:
        return [
            f"#{self.numbers[a]} {alert['status']} {alert['severity']}: {alert['title']} [{a}]"
            for a, alert in self.alerts.items()
            if alert.get("status") != "resolved"
        ]


class FeedRefused(Exception):
    """The server refused the feed for good (an audience the token's role does not cover)."""


async def run_watch(
    settings: Settings,
    *,
    role: str | None,
    min_severity: str,
    who: str,
    last_id: str | None = None,
    out: TextIO = sys.stdout,
    read_line: Callable[[], str] | None = None,
) -> None:
    """Watch until ``quit`` (or Ctrl-C); commands come from ``read_line`` (default: stdin).

    ``role`` narrows the feed to one audience; None: the audience of the token's role."""
    board = AlertBoard(colour=out.isatty())
    cursor = {"last_id": last_id or "$"}

    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    async def feed() -> None:
        delay = RECONNECT_S
        while True:
            params = {"role": role, "min_severity": min_severity, "last_id": cursor["last_id"]}
            url = ws_url(settings, "/ws/alerts", **{k: v for k, v in params.items() if v is not None})
            try:
                async with websockets.connect(url, open_timeout=5) as ws:
                    say(f"connected as {role or 'your role'} (least severity {min_severity}); {HELP}")
                    delay = RECONNECT_S
                    async for raw in ws:
                        message = json.loads(raw)
                        if "error" in message:  # then a close with 1008: retrying cannot help
                            raise FeedRefused(message["error"])
                        cursor["last_id"] = message["stream_id"]
                        say(board.take(message))
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as exc:
                say(f"disconnected ({type(exc).__name__}); reconnecting in {delay:.1f} s")
            await asyncio.sleep(delay)
            delay = min(RECONNECT_CAP_S, delay * 2)

    async def act(http: httpx.AsyncClient, verb: str, ref: str, note: str | None) -> None:
        alert_id = board.find(ref)
        if alert_id is None:
            say(f"no alert {ref!r}")
            return
        path = "ack" if verb == "ack" else "resolve"
        try:
            r = await http.post(f"/api/v1/alerts/{alert_id}/{path}", json={"by": who, "note": note})
        except httpx.HTTPError as exc:
            say(f"{verb} failed: {type(exc).__name__}")
            return
        if r.status_code == 200:
            say(f"{verb} {alert_id}: {'done' if r.json()['changed'] else 'already so'}")
        else:
            say(f"{verb} {alert_id} refused ({r.status_code}): {r.json().get('detail', r.text)}")

    async def commands() -> None:
        lines: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        reader = read_line or sys.stdin.readline

        def pump() -> None:  # a daemon thread: a blocked read never keeps the process alive
            while True:
                line = reader()
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if line == "":
                    return

        threading.Thread(target=pump, name="watch-stdin", daemon=True).start()
        async with api_client(settings, timeout=10) as http:
            while True:
                line = await lines.get()
                if line == "":  # no (more) input: keep watching
                    await asyncio.Event().wait()
                parts = line.strip().split(maxsplit=2)
                if not parts:
                    continue
                verb = parts[0].lower()
                if verb in ("quit", "exit", "q"):
                    return
                if verb in ("ack", "resolve") and len(parts) >= 2:
                    await act(http, verb, parts[1], parts[2] if len(parts) > 2 else None)
                elif verb == "open":
                    for entry in board.open_lines() or ["(none)"]:
                        say(entry)
                else:
                    say(HELP)

    watcher = asyncio.ensure_future(feed())
    commander = asyncio.ensure_future(commands())
    try:
        done, _ = await asyncio.wait({watcher, commander}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # a refused feed (or a failed command loop) ends the watch
    finally:
        watcher.cancel()
        commander.cancel()
