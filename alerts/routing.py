"""Who sees an alert: the audiences of the monitoring room, the regulator desk and on-call.

- ``monitoring`` (the monitoring room) sees every alert;
- ``regulator_desk`` sees regulator-related alerts (forwarded complaints and calls, their deadlines,
  rules that count only forwarded complaints) and every rule that names it in ``audiences``;
- ``oncall`` sees critical alerts, escalated ones, and every rule that names it.

An :class:`AlertViewer` is a role plus a minimum severity. The websocket builds one from its query
parameters today; binding the role to the caller's token later changes only where the viewer comes
from, not this filter. Functions take the alert's JSON payload (what the stream carries), so a feed
filters without re-validating every alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alerts.rule_base import SEVERITY_RANK, Audience, Severity

__all__ = ["AlertViewer", "audiences_of"]


def audiences_of(alert: Mapping[str, Any]) -> frozenset[str]:
    """Every audience that sees ``alert`` (a payload as :meth:`alerts.Alert.to_ws_payload` gives it).

    Examples
    --------
    >>> sorted(audiences_of({"severity": "warning", "audiences": ["monitoring"]}))
    ['monitoring']
    >>> sorted(audiences_of({"severity": "critical", "audiences": ["monitoring"], "regulator": True}))
    ['monitoring', 'oncall', 'regulator_desk']
    >>> sorted(audiences_of({"severity": "info", "audiences": [], "escalated_at": 12.0}))
    ['monitoring', 'oncall']
    """
    named = set(alert.get("audiences") or ())
    seen = {"monitoring", *named}
    if alert.get("regulator"):
        seen.add("regulator_desk")
    if alert.get("severity") == "critical" or alert.get("escalated_at") is not None:
        seen.add("oncall")
    return frozenset(seen)


@dataclass(frozen=True, slots=True)
class AlertViewer:
    """A feed's filter: the role it serves and the least severity it shows.

    Examples
    --------
    >>> desk = AlertViewer("regulator_desk")
    >>> desk.sees({"severity": "info", "audiences": ["monitoring"], "regulator": True})
    True
    >>> desk.sees({"severity": "critical", "audiences": ["monitoring"]})
    False
    >>> AlertViewer("monitoring", min_severity="warning").sees({"severity": "info", "audiences": []})
    False
    """

    role: Audience
    min_severity: Severity = "info"

    def sees(self, alert: Mapping[str, Any]) -> bool:
        """Whether this viewer is shown ``alert`` (and every event of it)."""
        rank = SEVERITY_RANK.get(str(alert.get("severity")), 0)
        if rank < SEVERITY_RANK[self.min_severity]:
            return False
        return self.role in audiences_of(alert)

    def notified_of(self, alert: Mapping[str, Any]) -> bool:
        """Whether ``alert`` is pushed to this viewer: seen, and not muted by a silence.

        >>> AlertViewer("monitoring").notified_of({"severity": "info", "audiences": [], "silenced_by": "s-1"})
        False
        """
        return not alert.get("silenced_by") and self.sees(alert)
