"""Deadline compliance (respond 60 min, resolve 48 h, decide 15 days) and the regulator-forwarded tracker.

Compliance reads two small rollups: ``ticket_milestones_hour`` (milestones reached, by elapsed-time
bucket) and ``complaint_totals_hour`` (complaints received). A deadline is *met* when its milestone
came within the target, *late* when it came after, *overdue* when the target has passed without it.
``share = met / (met + late + overdue)``; complaints still inside their target count in none of
these. Due-ness is judged per hour of reception (an hour counts once all of it is past the target).

The tracker lists regulator-forwarded complaints with each deadline's state, computed here from the
complaint's ticket events (pauses stop the clock; an ``extended`` event sets a new decision limit).

``time_scale`` puts both on a demo's faster clock (``HOTLINE_DEADLINE_TIME_SCALE``), as the worker
scales its deadline rules: the targets and an extension's ``limit_days`` are divided by it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from alerts.deadlines import DAY_S, scale_limit
from storage.clickhouse.analytics_filters import Moment, as_utc, floor_to
from storage.clickhouse.analytics_schema import MILESTONE_KINDS, TICKET_EVENT_COLUMNS
from storage.clickhouse.executor import ClickHouseExecutor
from storage.clickhouse.ticket_event_rows import normalize_ticket_event

__all__ = [
    "DEFAULT_TARGETS_S",
    "WARN_AT",
    "ComplianceFigure",
    "DeadlineState",
    "RegulatorCase",
    "deadline_compliance",
    "insert_ticket_events",
    "regulator_cases",
    "scaled_targets",
]

#: Targets per milestone: first response 60 min, resolution 48 h, decision 15 days (CBIRC 2020 No.3).
DEFAULT_TARGETS_S: dict[str, int] = {"responded": 3600, "resolved": 48 * 3600, "closed": 15 * 86400}


def scaled_targets(factor: float) -> dict[str, int]:
    """The default targets on a clock ``factor`` times faster (a demo's), as the worker scales its
    deadline rules: whole seconds, at least one.

    Examples
    --------
    >>> scaled_targets(60)
    {'responded': 60, 'resolved': 2880, 'closed': 21600}
    """
    return {kind: scale_limit(target, factor) for kind, target in DEFAULT_TARGETS_S.items()}


#: Share of a target after which an open deadline shows as a warning.
WARN_AT = 0.8
#: The milestone whose limit an ``extended`` event (``limit_days``) moves.
DECISION_KIND = "closed"
#: Rows fetched per case asked for: room for not-yet-merged duplicates of a complaint.
DUPLICATE_HEADROOM = 2
#: Look-backs the tracker tries before the whole range (most cases asked for are recent).
SEARCH_WINDOWS: tuple[timedelta, ...] = (timedelta(days=1), timedelta(days=7))

State = Literal["met", "late", "breached", "warning", "paused", "open"]


@dataclass(frozen=True, slots=True)
class ComplianceFigure:
    """One milestone's compliance over complaints received in a range."""

    kind: str
    target_s: int
    received: int
    met: int
    late: int
    overdue: int

    @property
    def share(self) -> float | None:
        """Share of due deadlines that were met; None when none is due yet.

        Examples
        --------
        >>> ComplianceFigure("responded", 3600, 10, 6, 1, 1).share
        0.75
        """
        due = self.met + self.late + self.overdue
        return self.met / due if due else None


def deadline_compliance(
    executor: ClickHouseExecutor,
    *,
    since: Moment,
    until: Moment,
    now: Moment,
    regulator_only: bool = False,
    targets_s: Mapping[str, int] | None = None,
    time_scale: float = 1.0,
) -> list[ComplianceFigure]:
    """Compliance per milestone (responded, resolved, closed) for complaints received in [since, until).

    ``targets_s`` overrides the default targets on the ``time_scale`` clock; a decision's
    ``limit_days`` (an extension, or the rule's own limit) is put on that clock too."""
    targets = {**scaled_targets(time_scale), **(targets_s or {})}
    lo, hi, moment = floor_to(since, "hour"), as_utc(until), as_utc(now)
    cuts = {kind: min(floor_to(moment - timedelta(seconds=targets[kind]), "hour"), hi) for kind in targets}
    params: dict[str, object] = {
        "lo": lo,
        "hi": hi,
        "decided": DECISION_KIND,
        "day": DAY_S,
        "scale": time_scale,
    }
    for i, kind in enumerate(MILESTONE_KINDS):
        params[f"k{i}"], params[f"t{i}"], params[f"c{i}"] = kind, targets[kind], cuts[kind]
    target, cut = _per_kind("t"), _per_kind("c")
    # Only a decision has a limit of its own (``limit_days``); the other milestones have their targets.
    limit = (
        "if(kind = %(decided)s AND limit_days > 0,"
        f" greatest(1, round(limit_days * %(day)s / %(scale)s)), {target})"
    )
    regulator = " AND regulator_forwarded = 1" if regulator_only else ""
    reached = executor.execute(
        "SELECT kind,"
        f" sumIf(reached, elapsed_bucket_s <= {limit}),"
        f" sumIf(reached, elapsed_bucket_s > {limit}),"
        f" sumIf(reached, hour < {cut})"
        " FROM ticket_milestones_hour"
        f" WHERE kind IN (%(k0)s, %(k1)s, %(k2)s) AND hour >= %(lo)s AND hour < %(hi)s{regulator}"
        " GROUP BY kind",
        params,
    )
    counted = "regulator_complaints" if regulator_only else "complaints"
    received = executor.execute(
        f"SELECT sum({counted}), sumIf({counted}, hour < %(c0)s), sumIf({counted}, hour < %(c1)s),"
        f" sumIf({counted}, hour < %(c2)s)"
        " FROM complaint_totals_hour WHERE hour >= %(lo)s AND hour < %(hi)s",
        params,
    )
    total, *due = (int(v or 0) for v in (received[0] if received else (0, 0, 0, 0)))
    by_kind = {str(kind): (int(met), int(late), int(reached_due)) for kind, met, late, reached_due in reached}
    figures = []
    for i, kind in enumerate(MILESTONE_KINDS):
        met, late, reached_due = by_kind.get(kind, (0, 0, 0))
        overdue = max(due[i] - reached_due, 0)
        figures.append(ComplianceFigure(kind, targets[kind], total, met, late, overdue))
    return figures


def _per_kind(prefix: str) -> str:
    """``multiIf`` picking the parameter ``<prefix><i>`` of the row's milestone kind."""
    return f"multiIf(kind = %(k0)s, %({prefix}0)s, kind = %(k1)s, %({prefix}1)s, %({prefix}2)s)"


@dataclass(frozen=True, slots=True)
class DeadlineState:
    """One deadline of one complaint: when it falls due, whether it was met, time left."""

    kind: str
    target_s: int
    due_at: datetime
    reached_at: datetime | None
    state: State
    remaining_s: float


@dataclass(frozen=True, slots=True)
class RegulatorCase:
    """A regulator-forwarded complaint with its three deadlines."""

    event_id: str
    regulator_ref: str
    received_at: datetime
    channel: str
    branch: str
    excerpt: str
    tags: list[str]
    deadlines: list[DeadlineState] = field(default_factory=list)


def regulator_cases(
    executor: ClickHouseExecutor,
    *,
    since: Moment,
    now: Moment,
    limit: int = 200,
    targets_s: Mapping[str, int] | None = None,
    time_scale: float = 1.0,
) -> list[RegulatorCase]:
    """Regulator-forwarded complaints received since ``since``, newest first, with deadline states
    (targets and extensions on the ``time_scale`` clock; ``targets_s`` overrides targets)."""
    targets = {**scaled_targets(time_scale), **(targets_s or {})}
    moment = as_utc(now)
    # Newest ids first (narrow columns; a plain top-N sort, duplicates dropped here), then the
    # details of just those.
    # The newest cases are usually within the last day: look there first, widen only if needed.
    start, fetch = as_utc(since), int(limit) * DUPLICATE_HEADROOM
    candidates: list[tuple[Any, ...]] = []
    for window in (*SEARCH_WINDOWS, None):
        lower = start if window is None else max(start, moment - window)
        candidates = executor.execute(
            "SELECT event_id, received_at FROM regulator_complaints WHERE received_at >= %(since)s"
            " ORDER BY received_at DESC, event_id LIMIT %(fetch)s",
            {"since": lower, "fetch": fetch},
        )
        if len(candidates) >= fetch or lower == start:
            break
    newest = list(dict.fromkeys(str(event_id) for event_id, _ in candidates))[: int(limit)]
    if not newest:
        return []
    chosen = set(newest)
    oldest = min(as_utc(received) for event_id, received in candidates if str(event_id) in chosen)
    rows = executor.execute(
        "SELECT event_id, received_at, channel, branch, regulator_ref, excerpt, tags"
        " FROM regulator_complaints WHERE received_at >= %(oldest)s AND event_id IN %(ids)s"
        " ORDER BY received_at DESC, event_id LIMIT 1 BY event_id",
        {"oldest": oldest, "ids": tuple(newest)},
    )
    events: dict[str, list[tuple[str, datetime, int]]] = {}
    for complaint_id, kind, at, limit_days in executor.execute(
        "SELECT complaint_id, kind, at, limit_days FROM ticket_events"
        " WHERE received_at >= %(since)s AND complaint_id IN %(ids)s ORDER BY at, kind",
        {"since": min(as_utc(r[1]) for r in rows), "ids": tuple(str(r[0]) for r in rows)},
    ):
        events.setdefault(str(complaint_id), []).append((str(kind), as_utc(at), int(limit_days)))
    cases = []
    for event_id, received, channel, branch, ref, excerpt, tags in rows:
        received_at = as_utc(received)
        history = events.get(str(event_id), [])
        cases.append(
            RegulatorCase(
                event_id=str(event_id),
                regulator_ref=str(ref),
                received_at=received_at,
                channel=str(channel),
                branch=str(branch),
                excerpt=str(excerpt),
                tags=[str(t) for t in tags],
                deadlines=_deadlines(received_at, history, moment, targets, time_scale),
            )
        )
    return cases


def _deadlines(
    received: datetime,
    history: list[tuple[str, datetime, int]],
    now: datetime,
    targets: Mapping[str, int],
    time_scale: float,
) -> list[DeadlineState]:
    history = [item for item in history if item[1] <= now]  # the state as of ``now``
    pauses: list[tuple[datetime, datetime | None]] = []
    decision_days = 0
    for kind, at, limit_days in history:
        if kind == "paused" and (not pauses or pauses[-1][1] is not None):
            pauses.append((at, None))
        elif kind == "resumed" and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], at)
        elif kind == "extended" and limit_days > 0:
            decision_days = limit_days
    paused_now = bool(pauses) and pauses[-1][1] is None

    def paused_before(moment: datetime) -> float:
        return sum(
            max(0.0, (min(end or moment, moment) - start).total_seconds())
            for start, end in pauses
            if start < moment
        )

    states = []
    for kind in MILESTONE_KINDS:
        target = targets[kind]
        if kind == DECISION_KIND and decision_days:
            target = scale_limit(decision_days * DAY_S, time_scale)
        reached = next((at for k, at, _ in history if k == kind), None)
        if reached is not None:
            elapsed = (reached - received).total_seconds() - paused_before(reached)
            state: State = "met" if elapsed <= target else "late"
            due = reached + timedelta(seconds=target - elapsed)
            states.append(DeadlineState(kind, target, due, reached, state, target - elapsed))
            continue
        elapsed = (now - received).total_seconds() - paused_before(now)
        remaining = target - elapsed
        if remaining < 0:
            state = "breached"
        elif paused_now:
            state = "paused"
        elif elapsed >= WARN_AT * target:
            state = "warning"
        else:
            state = "open"
        states.append(DeadlineState(kind, target, now + timedelta(seconds=remaining), None, state, remaining))
    return states


def insert_ticket_events(executor: ClickHouseExecutor, events: Iterable[Mapping[str, Any]]) -> int:
    """Insert ticket events (dicts keyed by column name); returns how many. Validates kind and times.

    Writers dedup before calling (the milestone rollup counts every row it sees); the worker writes
    through :class:`~storage.clickhouse.ticket_event_sink.TicketEventSink`, which does.
    """
    rows = [tuple(normalize_ticket_event(event).values()) for event in events]  # in column order
    executor.insert("ticket_events", TICKET_EVENT_COLUMNS, rows)
    return len(rows)
