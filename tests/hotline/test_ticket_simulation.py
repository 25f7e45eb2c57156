"""The demo's simulated complaint handling: realistic outcomes against the deadlines, on a fast clock."""

from __future__ import annotations

import json
import random
import time

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
    assert (sender.pending, sender.dropped) == (2, 1)


async def test_the_sender_posts_in_due_order_with_one_queue_entry_per_complaint() -> None:
    posted: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append((request.url.path.split("/")[-2], json.loads(request.content)["kind"]))
        return httpx.Response(202)

    a, r = "assigned", "responded"
    plans = {
        "a": [PlannedEvent(0.0, a), PlannedEvent(0.3, r), PlannedEvent(0.6, "resolved")],
        "b": [PlannedEvent(0.1, a), PlannedEvent(0.2, r), PlannedEvent(0.9, "closed")],
        "c": [PlannedEvent(0.4, a), PlannedEvent(1.5, r)],
    }
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://api") as client:
        sender = TicketEventSender(client, max_pending=3)
        received = time.monotonic() - 1.0  # all but c's response are due
        for complaint_id, plan in plans.items():
            assert sender.schedule(complaint_id, plan, received=received)
        assert not sender.schedule("d", plans["a"], received=received)  # full: d is not handled
        assert sender.pending == 3  # one queue entry per complaint, not one per event
        await sender.run(until=time.monotonic() + 0.2)
        assert sender.pending == 1 and len(posted) == 7  # c's response is due in 0.5 s
        await sender.run(until=received + 2.0)

    due = sorted((e.after_s, cid, e.kind) for cid, plan in plans.items() for e in plan)
    assert posted == [(cid, kind) for _, cid, kind in due]
    assert (sender.sent, sender.failed, sender.dropped, sender.pending) == (8, 0, 1, 0)


def _has(plan: list[PlannedEvent], kind: str) -> bool:
    return any(e.kind == kind for e in plan)
