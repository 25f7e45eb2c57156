"""Run child processes together: prefixed logs, ready when the API answers, all stop when one dies.

Used by ``hotline up``. Ctrl-C (SIGINT) or SIGTERM stops every child (SIGTERM, then SIGKILL after
a grace period); so does the death of any child, since a stack missing a part only misleads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

__all__ = ["ChildSpec", "Supervisor"]

log = logging.getLogger(__name__)

#: Seconds a child gets to stop after SIGTERM before it is killed.
STOP_GRACE_S = 15.0
#: Longest log line read at once; a child blocks on a full pipe if its output is not drained.
LINE_LIMIT = 1 << 20


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    env: dict[str, str] | None = None
    #: Start only after the API answers (e.g. the traffic simulator).
    after_ready: bool = False


@dataclass
class Supervisor:
    children: Sequence[ChildSpec]
    health_url: str
    ready_timeout_s: float = 120.0
    on_ready: Callable[[], None] = lambda: None
    write: Callable[[str], None] = field(default=lambda line: print(line, flush=True))  # noqa: T201
    _procs: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    async def run(self) -> int:
        """Run until a signal (exit 0) or a child's death (exit 1)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            watchers = [await self._spawn(c) for c in self.children if not c.after_ready]
            ready = asyncio.ensure_future(self._wait_ready())
            died = asyncio.ensure_future(asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED))
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({ready, died, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if ready in done and ready.result():
                self.on_ready()
                watchers += [await self._spawn(c) for c in self.children if c.after_ready]
                died.cancel()
                died = asyncio.ensure_future(asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED))
                done, _ = await asyncio.wait({died, stopped}, return_when=asyncio.FIRST_COMPLETED)
            elif ready in done:
                self.write(
                    f"[up] the API did not answer {self.health_url} within {self.ready_timeout_s:.0f} s"
                )
                return 1
            ready.cancel()
            died.cancel()
            if stopped in done:
                self.write("[up] stopping on request")
                return 0
            dead = [name for name, p in self._procs.items() if p.returncode is not None]
            self.write(f"[up] {', '.join(dead)} exited; stopping the rest")
            return 1
        finally:
            await self._stop_all()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    async def _spawn(self, spec: ChildSpec) -> asyncio.Task[None]:
        proc = await asyncio.create_subprocess_exec(
            *spec.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=spec.env,
            start_new_session=True,  # our Ctrl-C is ours to forward, in order
            limit=LINE_LIMIT,
        )
        self._procs[spec.name] = proc
        self.write(f"[up] started {spec.name} (pid {proc.pid})")
        return asyncio.ensure_future(self._pump(spec.name, proc))

    async def _pump(self, name: str, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        width = max(len(c.name) for c in self.children)
        while True:
            try:
                raw = await proc.stdout.readline()
            except ValueError:  # a line longer than LINE_LIMIT: pass it on in pieces
                raw = await proc.stdout.read(LINE_LIMIT)
            if not raw:
                break
            self.write(f"{name:<{width}} | {raw.decode(errors='replace').rstrip()}")
        code = await proc.wait()
        self.write(f"[up] {name} exited with code {code}")

    async def _wait_ready(self) -> bool:
        deadline = asyncio.get_running_loop().time() + self.ready_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while asyncio.get_running_loop().time() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.health_url)).status_code == 200:
                        return True
                await asyncio.sleep(0.3)
        return False

    async def _stop_all(self) -> None:
        running = {n: p for n, p in self._procs.items() if p.returncode is None}
        for name, proc in reversed(running.items()):
            self.write(f"[up] stopping {name}")
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for name, proc in running.items():
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
            except TimeoutError:
                self.write(f"[up] {name} ignored SIGTERM for {STOP_GRACE_S:.0f} s; killing it")
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        sys.stdout.flush()
