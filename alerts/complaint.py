"""The view of a classified complaint that rules evaluate.

A plain dataclass rather than the stream record, so that the rules library does not depend on the
event schemas (``streams`` converts its records into this).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["TaggedComplaint"]


@dataclass(frozen=True, slots=True)
class TaggedComplaint:
    """A complaint with one tag per taxonomy dimension.

    ``event_time`` (epoch seconds, e.g. when the API accepted it) decides the window, so a replayed
    or late complaint lands in the same window as it would have live.

    Examples
    --------
    >>> c = TaggedComplaint("e1", {"banking77": "card_arrival"}, channel="phone", event_time=120.0)
    >>> c.tags["banking77"], c.branch, c.regulator_forwarded
    ('card_arrival', None, False)
    """

    event_id: str
    tags: Mapping[str, str]
    channel: str
    branch: str | None = None
    line: str | None = None
    regulator_forwarded: bool = False
    event_time: float = field(default=0.0, kw_only=True)

    def field_value(self, name: str) -> str | None:
        """The value of a groupable/filterable field (``branch``, ``channel`` or ``line``)."""
        if name == "branch":
            return self.branch
        if name == "channel":
            return self.channel
        if name == "line":
            return self.line
        raise KeyError(name)
