"""Who may do what: the role matrix, in one table.

Each token carries one role; each route names the one permission it needs (``api.auth.require``).
Admin holds every permission. Some permissions are scoped by role on top: the regulator desk sees
only regulator-forwarded complaints and regulator alerts, on-call only on-call alerts
(:data:`ALERT_AUDIENCE`, :data:`REGULATOR_ONLY`); routes apply that scope server-side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "ACCESS",
    "ALERT_AUDIENCE",
    "PERMISSIONS",
    "REGULATOR_ONLY",
    "ROLES",
    "Permission",
    "Principal",
    "Role",
    "audience_for",
    "permissions_of",
]

Role = Literal["ingest", "monitor", "regulator_desk", "oncall", "admin"]
#: ingest: channel systems and telephony connectors (write complaints and calls, read nothing);
#: monitor: the monitoring room (read everything, acknowledge); regulator_desk: regulator-related
#: data only; oncall: alerts for on-call managers; admin: everything, including rules and tokens.
ROLES: tuple[Role, ...] = get_args(Role)

Permission = Literal[
    "ingest",
    "tickets.write",
    "labels.write",
    "review.read",
    "calls.read",
    "stats.read",
    "regulator.read",
    "compliance.read",
    "exports.read",
    "reports.read",
    "alerts.read",
    "alerts.ack",
    "alerts.resolve",
    "silences.write",
    "models.read",
    "metrics.read",
    "rules.read",
    "rules.write",
    "audit.read",
    "status.read",
]
PERMISSIONS: tuple[str, ...] = get_args(Permission)

_ALL: frozenset[Role] = frozenset(ROLES)

#: The role matrix: permission -> (what it allows, the roles holding it besides admin).
ACCESS: dict[Permission, tuple[str, frozenset[Role]]] = {
    "ingest": (
        "send complaints and calls (POST complaints, POST calls, WS /ws/calls)",
        frozenset({"ingest"}),
    ),
    "tickets.write": ("record ticket events (POST complaints/{id}/events)", frozenset({"ingest", "monitor"})),
    "labels.write": (
        "label complaints (regulator desk: forwarded ones)",
        frozenset({"monitor", "regulator_desk"}),
    ),
    "review.read": (
        "read the review queue of complaints to label (GET review; regulator desk: forwarded ones)",
        frozenset({"monitor", "regulator_desk"}),
    ),
    "calls.read": ("read calls and their transcripts (GET calls, WS /ws/live-calls)", frozenset({"monitor"})),
    "stats.read": ("read analytics (volume, hot tags, branch matrix)", frozenset({"monitor"})),
    "regulator.read": ("read the regulator-forwarded list", frozenset({"monitor", "regulator_desk"})),
    "compliance.read": (
        "read deadline compliance (regulator desk: forwarded complaints)",
        frozenset({"monitor", "regulator_desk"}),
    ),
    "exports.read": (
        "export complaints and alerts as CSV (regulator desk: forwarded ones)",
        frozenset({"monitor", "regulator_desk"}),
    ),
    "reports.read": ("read the daily summary", frozenset({"monitor"})),
    "alerts.read": (
        "read alerts (regulator desk, on-call: their audience only)",
        frozenset({"monitor", "regulator_desk", "oncall"}),
    ),
    "alerts.ack": ("acknowledge alerts it sees", frozenset({"monitor", "regulator_desk", "oncall"})),
    "alerts.resolve": ("resolve alerts", frozenset({"monitor"})),
    "silences.write": ("mute and unmute alerts (POST/DELETE silences)", frozenset({"monitor", "oncall"})),
    "models.read": ("read model status and accuracy", frozenset({"monitor"})),
    "metrics.read": ("scrape Prometheus metrics", frozenset({"monitor"})),
    "rules.read": ("read the alert rules", frozenset({"monitor"})),
    "rules.write": ("replace the alert rules", frozenset()),
    "audit.read": ("read the audit trail of changes and exports (GET audit)", frozenset()),
    "status.read": ("read readiness and its own session", _ALL),
}

#: The alert audience a role sees; None: every alert (and may narrow to one audience).
ALERT_AUDIENCE: dict[str, str | None] = {
    "monitor": None,
    "admin": None,
    "regulator_desk": "regulator_desk",
    "oncall": "oncall",
}
#: Roles whose complaint data (exports, compliance, labels, the review queue) is limited to
#: regulator-forwarded ones.
REGULATOR_ONLY: frozenset[str] = frozenset({"regulator_desk"})


def permissions_of(role: str) -> tuple[str, ...]:
    """Every permission ``role`` holds, in matrix order.

    Examples
    --------
    >>> permissions_of("oncall")
    ('alerts.read', 'alerts.ack', 'silences.write', 'status.read')
    >>> len(permissions_of("admin")) == len(PERMISSIONS)
    True
    """
    return tuple(p for p, (_, roles) in ACCESS.items() if role == "admin" or role in roles)


def audience_for(role: str, requested: str | None = None) -> str | None:
    """The alert audience ``role`` gets when it asks for ``requested`` (None: its own), or None when
    the role does not cover that audience (or sees no alerts at all).

    Examples
    --------
    >>> audience_for("monitor"), audience_for("admin", "oncall"), audience_for("oncall")
    ('monitoring', 'oncall', 'oncall')
    >>> audience_for("oncall", "monitoring") is None, audience_for("ingest") is None
    (True, True)
    """
    if role not in ALERT_AUDIENCE:
        return None
    own = ALERT_AUDIENCE[role]
    if own is None:
        return requested or "monitoring"
    return own if requested in (None, own) else None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a token (never the token itself)."""

    name: str
    role: Role
    token_id: str

    def may(self, permission: Permission) -> bool:
        return permission in permissions_of(self.role)

    @property
    def regulator_only(self) -> bool:
        """Whether this caller's complaint data is limited to regulator-forwarded complaints."""
        return self.role in REGULATOR_ONLY
