"""Factories for rules and complaints used across the alerts tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts import TaggedComplaint, ThresholdRule

RuleFactory = Callable[..., ThresholdRule]
ComplaintFactory = Callable[..., TaggedComplaint]


RuleDataFactory = Callable[..., dict[str, Any]]


def _rule_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "card-arrival-burst",
        "kind": "threshold",
        "title": "Card arrival burst",
        "severity": "warning",
        "dimension": "banking77",
        "tag": "card_arrival",
        "window_seconds": 60,
        "threshold": 3,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def rule_data() -> RuleDataFactory:
    """A valid threshold rule as YAML would give it; keyword overrides replace fields, None drops one."""
    return _rule_data


@pytest.fixture
def make_rule() -> RuleFactory:
    def make(**overrides: Any) -> ThresholdRule:
        return ThresholdRule.model_validate(_rule_data(**overrides))

    return make


@pytest.fixture
def make_complaint() -> ComplaintFactory:
    counter = iter(range(1_000_000))

    def make(
        tag: str = "card_arrival",
        *,
        event_time: float = 1_000.0,
        channel: str = "phone",
        branch: str | None = None,
        line: str | None = None,
        regulator_forwarded: bool = False,
        dimension: str = "banking77",
    ) -> TaggedComplaint:
        return TaggedComplaint(
            f"e{next(counter)}",
            {dimension: tag},
            channel,
            branch=branch,
            line=line,
            regulator_forwarded=regulator_forwarded,
            event_time=event_time,
        )

    return make
