"""Response models shared by the stats and the daily report (one shape for one figure).

Each reads its storage figure's attributes (properties included), so ``HotTagOut.model_validate(hot)``
converts a :class:`storage.clickhouse.analytics_topics.HotTag`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ComplianceOut", "HotTagOut"]


class HotTagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dimension: str
    tag: str
    count: int
    previous: int = Field(description="Count in the period of the same length just before.")
    growth: float | None = Field(description="(count - previous) / previous; null when previous is 0.")


class ComplianceOut(BaseModel):
    """Of :class:`storage.clickhouse.analytics_deadlines.ComplianceFigure`."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["responded", "resolved", "closed"]
    target_s: int
    received: int
    met: int
    late: int
    overdue: int = Field(description="Past the target without the milestone.")
    share: float | None = Field(description="met / (met + late + overdue); null when nothing is due yet.")
