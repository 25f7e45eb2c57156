"""Shapes every local service module (clickhouse, redis, tansu) speaks, so the CLI treats them alike."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ServiceError", "ServiceStatus"]


class ServiceError(RuntimeError):
    """A local service cannot be started or reached; the message says what to do about it."""


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """One line of ``hotline services status``.

    Examples
    --------
    >>> ServiceStatus(name="clickhouse", running=False, where="127.0.0.1:19000", detail="stopped").running
    False
    """

    name: str
    running: bool
    where: str
    detail: str
