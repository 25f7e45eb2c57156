"""The per-worker call cap and the idle clock."""

from __future__ import annotations

import pytest

from asr import CallLimitReached, CallSessions


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_cap_refuses_and_frees() -> None:
    calls: CallSessions[str] = CallSessions(max_calls=2, idle_timeout_s=10, clock=Clock())
    calls.open("a", "A")
    calls.open("b", "B")
    assert calls.full
    with pytest.raises(CallLimitReached):
        calls.open("c", "C")
    assert "c" not in calls and len(calls) == 2
    assert calls.close("a") == "A"
    assert calls.open("c", "C") == "C"
    with pytest.raises(KeyError):
        calls.open("c", "again")


def test_idle_calls_longest_first_and_touch_resets() -> None:
    clock = Clock()
    calls: CallSessions[str] = CallSessions(max_calls=5, idle_timeout_s=10, clock=clock)
    calls.open("a", "A")
    clock.now += 2
    calls.open("b", "B")
    clock.now += 9
    assert calls.idle_calls() == ["a"]
    clock.now += 2
    assert calls.idle_calls() == ["a", "b"]
    calls.touch("a")
    assert calls.idle_calls() == ["b"]
    assert calls.idle_for("a") == 0


def test_stall_time_does_not_count_as_idle() -> None:
    clock = Clock()
    calls: CallSessions[str] = CallSessions(max_calls=5, idle_timeout_s=10, clock=clock)
    calls.open("a", "A")
    clock.now += 15
    calls.delay_idle(15)
    assert calls.idle_calls() == []


@pytest.mark.parametrize(("max_calls", "idle"), [(0, 10), (1, 0)])
def test_invalid_limits(max_calls: int, idle: float) -> None:
    with pytest.raises(ValueError):
        CallSessions(max_calls=max_calls, idle_timeout_s=idle)
