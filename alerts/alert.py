"""The alert: what a rule emits, what the Redis stream stores and what ``/ws/alerts`` sends.

Processing is at-least-once, so one crossing can be evaluated twice (redelivery, rebalance). The
alert id is therefore a hash of the dedup key, not a random id: the same crossing always yields
the same id, and the alert stream publishes each id once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alerts.rules import Audience, Severity

__all__ = ["Alert", "alert_id_for", "dedup_key"]

_ALERT_ID_BYTES = 8  # 16 hex characters: collisions are negligible at millions of alerts.


def dedup_key(rule_id: str, group: str, window_start: int) -> str:
    """The key that makes one crossing unique: ``rule_id|group|window_start``.

    Examples
    --------
    >>> dedup_key("card-arrival-burst", "tag=card_arrival", 1_700_000_040)
    'card-arrival-burst|tag=card_arrival|1700000040'
    """
    return f"{rule_id}|{group}|{window_start}"


def alert_id_for(key: str) -> str:
    """Short, stable id of the alert with dedup key ``key`` (hex of a BLAKE2b digest).

    Examples
    --------
    >>> alert_id_for("r|tag=a|60") == alert_id_for("r|tag=a|60"), len(alert_id_for("r|tag=a|60"))
    (True, 16)
    >>> alert_id_for("r|tag=a|60") == alert_id_for("r|tag=a|120")
    False
    """
    return hashlib.blake2b(key.encode("utf-8"), digest_size=_ALERT_ID_BYTES).hexdigest()


class Alert(BaseModel):
    """One fired alert. Times are epoch seconds; ``window_end`` is exclusive.

    Build threshold alerts with :func:`alerts.threshold.build_threshold_alert`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str = Field(description="Hash of dedup_key: a re-evaluated crossing keeps its id.")
    dedup_key: str = Field(description="rule_id|group|window_start")
    rule_id: str
    kind: str = Field(description="Kind of the rule that fired, e.g. 'threshold'.")
    severity: Severity
    title: str
    reason: str = Field(description="Why it fired, as a sentence for people.")
    dimension: str
    tag: str
    group: dict[str, str | None] = Field(description="Group-by field -> value (null: not given).")
    window_start: int
    window_end: int
    count: int = Field(ge=0)
    threshold: int = Field(ge=1)
    fired_at: float
    audiences: tuple[Audience, ...]

    def to_ws_payload(self) -> dict[str, Any]:
        """The alert as a JSON-ready dict (the websocket and the Redis stream carry this).

        The stream entry id (the resume cursor) is not part of the alert: the reader adds it.
        """
        return self.model_dump(mode="json")
