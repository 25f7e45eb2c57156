"""The demo's simulated complaint handling: realistic outcomes against the deadlines, on a fast clock."""

from __future__ import annotations

import random

import httpx

from hotline.ticket_simulation import HandlingModel, PlannedEvent, TicketEventSender

SCALE = 60.0  # the demo's: 60 min of first-response target is one minute
FIRST_RESPONSE_S, WARN_S = 3600 / SCALE, 0.8 * 3600 / SCALE
RESOLUTION_S = 48 * 3600 / SCALE


def _plans(n: int = 4000) -> list[list[PlannedEvent]]:
    model = HandlingModel(random.Random(11), time_scale=SCALE)
    return [model.plan() for _ in range(n)]


def test_most_deadlines_are_met_some_warned_some_breached_a_few_never_reached() -> None:
    plans = _plans()
    responded = [next((e.after_s for e in p if e.kind == "responded"), None) for p in plans]
    answered = [r for r in responded if r is not None]
    share = len(answered) / len(plans)
    assert 0.9 < share < 0.99  # a few are never answered in the demo
    in_time = sum(r < WARN_S for r in answered) / len(answered)
    warned = sum(WARN_S <= r <= FIRST_RESPONSE_S for r in answered) / len(answered)
    late = sum(r > FIRST_RESPONSE_S for r in answered) / len(answered)
    assert in_time > 0.6 and 0.08 < warned < 0.25 and 0.05 < late < 0.2
    resolved = [next(e.after_s for e in p if e.kind == "resolved") for p in plans if _has(p, "resolved")]
    assert 0.8 < len(resolved) / len(answered) < 1.0
    assert 0.02 < sum(r > RESOLUTION_S for r in resolved) / len(resolved) < 0.3


def test_each_plan_is_in_order_and_pauses_are_resumed() -> None:
    for plan in _plans(1000):
        kinds = [e.kind for e in plan]
        assert kinds[0] == "assigned"
        assert [e.after_s for e in plan] == sorted(e.after_s for e in plan)
        assert kinds.count("paused") == kinds.count("resumed") <= 1
        order = [k for k in ("assigned", "responded", "resolved", "closed") if k in kinds]
        assert [k for k in kinds if k in order] == order
        if "paused" in kinds:
            assert kinds.index("responded") < kinds.index("paused") < kinds.index("resumed")


def test_the_sender_holds_a_bounded_number_of_complaints() -> None:
    sender = TicketEventSender(httpx.AsyncClient(), max_pending=2)
    plan = [PlannedEvent(1.0, "assigned"), PlannedEvent(2.0, "responded")]
    assert sender.schedule("a", plan, received=0.0) and sender.schedule("b", plan, received=0.0)
    assert not sender.schedule("c", plan, received=0.0)
    assert sender.pending == 4


def _has(plan: list[PlannedEvent], kind: str) -> bool:
    return any(e.kind == kind for e in plan)
