"""Simulated complaint traffic for the demo: every channel, a daily shape, and a surge now and then.

Texts come from a labelled CSV (by default BANKING77); during a surge one category's texts arrive
several times faster, which is what the threshold and surge rules are there to catch. Every
regulator-forwarded complaint (and ``ticket_share`` of the others) is then handled: its ticket
events come in with realistic delays (:mod:`hotline.ticket_simulation`), driving the deadlines.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from config.settings import Settings
from hotline.api_client import api_client
from hotline.ticket_simulation import HandlingModel, TicketEventSender

__all__ = ["TrafficModel", "run_simulator"]

log = logging.getLogger(__name__)

#: Channel mix; the regulator forwards about one complaint in 200 (a demo shows a couple a minute).
CHANNEL_WEIGHTS = {"phone": 40, "app": 20, "web": 15, "wechat": 12, "email": 5, "branch": 6, "regulator": 0.5}
BRANCHES = ("beijing-chaoyang", "shanghai-pudong", "shenzhen-futian", "guangzhou-tianhe", "chengdu-jinjiang")
LINES = ("95555-1", "95555-2", "95555-vip")


@dataclass
class TrafficModel:
    """Arrival rate and content of simulated complaints.

    ``day_s`` compresses a day's shape (quiet night, busy late morning) into a short demo cycle,
    starting ``day_start`` of the way into it (mid-morning: the demo opens on a busy hotline). The
    first surge starts ``first_surge_s`` after the start (so a demo shows one within a minute), on
    ``first_surge_category`` when the data has it; then every ``surge_every_s`` one category runs
    ``surge_factor`` times faster for ``surge_s`` seconds.
    """

    texts_by_category: dict[str, list[str]]
    rate: float
    day_s: float = 600.0
    surge_every_s: float = 180.0
    surge_s: float = 45.0
    first_surge_s: float = 20.0
    first_surge_category: str = "card_arrival"
    day_start: float = 0.35
    surge_factor: float = 6.0
    regulator_share: float = 0.002
    #: Share of the complaints not forwarded by the regulator that are handled (ticket events) too.
    #: Their milestones are timed (compliance figures, deadline alerts) only where a deadline rule
    #: opened their clocks; in the shipped rules the service deadlines are off, so by default only
    #: the regulator-forwarded ones are handled.
    ticket_share: float = 0.0
    channel_weights: dict[str, float] = field(default_factory=lambda: dict(CHANNEL_WEIGHTS))
    branches: tuple[str, ...] = BRANCHES
    lines: tuple[str, ...] = LINES
    seed: int = 7
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        # Handling draws apart, so the traffic itself is the same whatever is handled.
        self.handling_rng = random.Random(self.seed + 1)
        self.categories = sorted(self.texts_by_category)

    def base_rate(self, t: float) -> float:
        """Rate at ``t`` seconds into the run: a daily curve between 30% and 170% of ``rate``."""
        phase = 2 * math.pi * ((t / self.day_s + self.day_start) % 1.0)
        return self.rate * (1.0 + 0.7 * math.sin(phase - math.pi / 2))

    def surge_category(self, t: float) -> str | None:
        """The category surging at ``t`` (None between surges)."""
        if t < self.first_surge_s:
            return None
        cycle, offset = divmod(t - self.first_surge_s, self.surge_every_s)
        if offset >= self.surge_s:
            return None
        if cycle == 0 and self.first_surge_category in self.texts_by_category:
            return self.first_surge_category
        return self.categories[int(cycle * 7919) % len(self.categories)]

    def complaint(self, t: float) -> dict[str, Any]:
        surge = self.surge_category(t)
        # During a surge the arrival rate is surge_factor times higher, and the extra is all one category.
        extra = bool(surge) and self.rng.random() < 1.0 - 1.0 / self.surge_factor
        category = surge if extra and surge else self.rng.choice(self.categories)
        weights = self.channel_weights
        channel = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        if extra and channel == "regulator":
            channel = "phone"  # a surge is customers calling in; the regulator's rate stays as it was
        regulator = channel == "regulator" or (not extra and self.rng.random() < self.regulator_share)
        body: dict[str, Any] = {
            "text": self.rng.choice(self.texts_by_category[category]),
            "channel": channel,
            "branch": self.rng.choice(self.branches),
            "regulator_forwarded": regulator,
            "customer_ref": f"CUST{self.rng.randrange(10**8):08d}",
        }
        if channel == "phone":
            body["line"] = self.rng.choice(self.lines)
        if regulator:
            body["regulator_ref"] = f"12378-{self.rng.randrange(10**6):06d}"
        return body

    def handled(self, complaint: dict[str, Any]) -> bool:
        """Whether the complaint gets ticket events: every regulator-forwarded one, a share of others."""
        return bool(complaint.get("regulator_forwarded")) or self.handling_rng.random() < self.ticket_share

    def gap_s(self, t: float) -> float:
        """Seconds to the next arrival (Poisson at the current rate, surge included)."""
        rate = self.base_rate(t) * (self.surge_factor if self.surge_category(t) else 1.0)
        return self.rng.expovariate(max(rate, 0.01))


def read_texts(path: Path) -> dict[str, list[str]]:
    """Texts grouped by ``category`` (or all under one key when the file has no such column)."""
    groups: dict[str, list[str]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if "text" not in row:
                raise ValueError(f"{path}: no `text` column")
            if row["text"].strip():
                groups[row.get("category") or "all"].append(row["text"].strip())
    if not groups:
        raise ValueError(f"{path}: no texts")
    return dict(groups)


async def run_simulator(
    settings: Settings,
    *,
    data: Path,
    rate: float,
    seconds: float | None,
    ticket_share: float = 0.0,
    model: TrafficModel | None = None,
    drain_s: float = 0.0,
    extra_data: Path | None = None,
) -> int:
    """Post complaints to the API until ``seconds`` pass (or forever), and the ticket events of those
    handled as they fall due (for up to ``drain_s`` more at the end); returns how many complaints
    were accepted. ``model`` replaces the traffic read from ``data`` (tests); ``extra_data``'s
    categories join ``data``'s, prefixed ``extra:`` (the demo's Chinese complaints)."""
    if model is None:
        texts = read_texts(data)
        if extra_data is not None:
            texts.update({f"extra:{name}": group for name, group in read_texts(extra_data).items()})
        model = TrafficModel(texts, rate=rate, ticket_share=ticket_share)
    handling = HandlingModel(model.handling_rng, time_scale=settings.deadline_time_scale)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per POST would drown the console
    async with api_client(settings, timeout=10.0) as client:
        tickets = TicketEventSender(client)
        sending = asyncio.ensure_future(tickets.run())
        try:
            sent, failed = await _post_complaints(client, model, handling, tickets, seconds)
            drain_until = time.monotonic() + drain_s
            while tickets.pending and time.monotonic() < drain_until and not sending.done():
                await asyncio.sleep(0.2)
        finally:
            sending.cancel()
    log.info(
        "sent %d complaint(s) (%d failed) and %d ticket event(s) (%d failed; %d complaint(s) not handled)",
        sent,
        failed,
        tickets.sent,
        tickets.failed,
        tickets.dropped,
    )
    return sent


async def _post_complaints(
    client: httpx.AsyncClient,
    model: TrafficModel,
    handling: HandlingModel,
    tickets: TicketEventSender,
    seconds: float | None,
) -> tuple[int, int]:
    """Post complaints at the model's rate; schedule the handling of those handled. (sent, failed)"""
    sent = failed = 0
    started = time.monotonic()
    last_report = started
    while seconds is None or time.monotonic() - started < seconds:
        t = time.monotonic() - started
        try:
            complaint = model.complaint(t)
            response = await client.post("/api/v1/complaints", json=complaint)
            if response.status_code == 202:
                sent += 1
                if model.handled(complaint):
                    tickets.schedule(response.json()["id"], handling.plan(), received=time.monotonic())
            else:
                failed += 1
                log.warning("API answered %d: %s", response.status_code, response.text[:200])
        except httpx.HTTPError as exc:
            failed += 1
            log.warning("API unreachable: %s", exc)
            await asyncio.sleep(1.0)
        if time.monotonic() - last_report >= 30:
            last_report = time.monotonic()
            surge = model.surge_category(t)
            log.info(
                "sent %d complaint(s), %d failed, %d ticket event(s)%s",
                sent,
                failed,
                tickets.sent,
                f"; surging: {surge}" if surge else "",
            )
        await asyncio.sleep(model.gap_s(t))
    return sent, failed
