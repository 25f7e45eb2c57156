"""The calls one worker is transcribing: at most ``max_calls`` at once, each with its idle clock.

Each call holds a recognizer and CPU time; a worker that took every call offered would slow all of
them past real time and grow without bound. So the registry refuses a call beyond the cap
(:class:`CallLimitReached`: the caller answers "try again later" or waits), and reports calls
whose audio stopped arriving for ``idle_timeout_s`` (a connector that vanished) so that they are
flushed and closed instead of held forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["CallLimitReached", "CallSessions"]

S = TypeVar("S")


class CallLimitReached(RuntimeError):
    """The worker already transcribes its maximum number of calls."""


class CallSessions(Generic[S]):
    """Sessions by call id, capped, with last-activity times.

    Parameters
    ----------
    max_calls
        Most calls held at once.
    idle_timeout_s
        A call with no activity for this long is reported by :meth:`idle_calls`.
    clock
        Monotonic seconds (injectable for tests).

    Examples
    --------
    >>> now = [0.0]
    >>> calls = CallSessions(max_calls=2, idle_timeout_s=30, clock=lambda: now[0])
    >>> calls.open("a", "session-a"), calls.open("b", "session-b")
    ('session-a', 'session-b')
    >>> calls.open("c", "session-c")
    Traceback (most recent call last):
    ...
    asr.call_sessions.CallLimitReached: already transcribing 2 calls (the limit); try again later
    >>> now[0] = 20.0; calls.touch("b"); now[0] = 31.0
    >>> calls.idle_calls()
    ['a']
    >>> calls.close("a"), len(calls)
    ('session-a', 1)
    """

    def __init__(
        self, *, max_calls: int, idle_timeout_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_calls < 1 or idle_timeout_s <= 0:
            raise ValueError("max_calls must be >= 1 and idle_timeout_s > 0")
        self.max_calls = max_calls
        self.idle_timeout_s = idle_timeout_s
        self.clock = clock
        self._sessions: dict[str, S] = {}
        self._last: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._sessions

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._sessions))

    @property
    def full(self) -> bool:
        return len(self._sessions) >= self.max_calls

    def get(self, call_id: str) -> S | None:
        return self._sessions.get(call_id)

    def open(self, call_id: str, session: S) -> S:
        """Hold ``session`` for ``call_id``; CallLimitReached when at the cap (the session is not kept)."""
        if call_id in self._sessions:
            raise KeyError(f"call {call_id} already has a session")
        if self.full:
            raise CallLimitReached(
                f"already transcribing {self.max_calls} calls (the limit); try again later"
            )
        self._sessions[call_id] = session
        self._last[call_id] = self.clock()
        return session

    def touch(self, call_id: str) -> None:
        """Record activity (audio arrived) for ``call_id``."""
        if call_id in self._sessions:
            self._last[call_id] = self.clock()

    def idle_for(self, call_id: str) -> float:
        """Seconds since ``call_id``'s last activity."""
        return self.clock() - self._last[call_id]

    def close(self, call_id: str) -> S | None:
        """Forget ``call_id``; returns its session (None if it had none)."""
        self._last.pop(call_id, None)
        return self._sessions.pop(call_id, None)

    def idle_calls(self) -> list[str]:
        """Calls idle for at least ``idle_timeout_s``, longest idle first."""
        now = self.clock()
        idle = [(last, call_id) for call_id, last in self._last.items() if now - last >= self.idle_timeout_s]
        return [call_id for _, call_id in sorted(idle)]

    def delay_idle(self, seconds: float) -> None:
        """Push every call's idle clock back by ``seconds`` (time the worker itself was stalled)."""
        for call_id in self._last:
            self._last[call_id] += seconds
