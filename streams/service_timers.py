"""Timers of a ``mode`` service whose interval comes from its settings.

``@Service.timer(seconds)`` fixes the interval when the class is defined, i.e. at import; a
worker's intervals are settings, known only once the service is built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mode import Service

__all__ = ["start_timer"]


def start_timer(
    service: Service, interval_s: float, tick: Callable[[], Awaitable[None]], *, exec_first: bool = False
) -> None:
    """Run ``tick`` every ``interval_s`` while ``service`` runs (what ``Service.timer`` does);
    call it from ``on_start``. With ``exec_first`` the first tick is at once."""

    async def repeat() -> None:
        if exec_first:
            await tick()
        async for _ in service.itertimer(interval_s, name=getattr(tick, "__qualname__", "timer")):
            await tick()

    service.add_future(repeat())
