"""Which agents a worker runs (``HOTLINE_WORKER_AGENTS`` / ``hotline worker --agents``).

Each agent module's ``install(worker)`` adds its agents, timers, tables and services to the
worker's app; a worker installs only the modules of its set. ``alerts`` holds what a single
complaint sets off without tags (forwarded complaints, deadline clocks) and runs in a consumer
group of its own (:func:`streams.app.app_id`): Faust feeds every agent of a worker from one
consumer, so next to the classify agent these alerts would wait whenever tagging falls behind.

The modules are imported only when installed: the CLI imports :data:`AgentSet` from here, and
must not load numpy before the worker has set its BLAS thread variables.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from streams.worker_parts import Worker

__all__ = ["AGENT_MODULES", "AgentSet", "install_agents"]

AgentSet = Literal["all", "tagging", "alerts"]

_ALERTS = ("streams.agents.complaint_alerts",)
_TAGGING = (
    "streams.agents.alert_timers",
    "streams.agents.classify",
    "streams.agents.deadlines",
    "streams.agents.escalations",
    "streams.agents.learn_labels",
    "streams.agents.surges",
    "streams.agents.transcribe",
    "streams.agents.transcribe_storage",
    "streams.agents.webhooks",
    "streams.agents.windows",
)
#: Modules whose agents, timers, tables and services each set installs.
AGENT_MODULES: dict[str, tuple[str, ...]] = {
    "alerts": _ALERTS,
    "tagging": _TAGGING,
    "all": _TAGGING + _ALERTS,
}


def install_agents(worker: Worker, agent_set: AgentSet) -> None:
    """Call ``install(worker)`` of every module of ``agent_set``."""
    for module in AGENT_MODULES[agent_set]:
        importlib.import_module(module).install(worker)
