"""Who may do what: each token carries one role, each route names the roles it admits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ROLES", "Principal", "Role"]

Role = Literal["ingest", "monitor", "regulator_desk", "oncall", "admin"]
#: ingest: channel systems and telephony connectors (write complaints and calls, read nothing);
#: monitor: the monitoring room (read everything, acknowledge); regulator_desk: regulator-related
#: data only; oncall: alerts for on-call managers; admin: everything, including rules and tokens.
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a token (never the token itself)."""

    name: str
    role: Role
    token_id: str
