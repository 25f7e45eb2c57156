"""Which agents a worker runs (``HOTLINE_WORKER_AGENTS`` / ``hotline worker --agents``).

An agent is registered with the app when its module is imported, so a worker imports only the
modules of its set. ``alerts`` holds what a single complaint sets off without tags (forwarded
complaints, deadline clocks) and runs in a consumer group of its own (:func:`streams.app.app_id`):
Faust feeds every agent of a worker from one consumer, so next to the classify agent these alerts
would wait whenever tagging falls behind.
"""

from __future__ import annotations

import importlib
from typing import Literal

__all__ = ["AGENT_MODULES", "register_agents"]

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
#: Modules whose agents, timers and services each set runs.
AGENT_MODULES: dict[str, tuple[str, ...]] = {
    "alerts": _ALERTS,
    "tagging": _TAGGING,
    "all": _TAGGING + _ALERTS,
}


def register_agents(agent_set: AgentSet) -> None:
    """Import the modules of ``agent_set``: their agents and timers join the app."""
    for module in AGENT_MODULES[agent_set]:
        importlib.import_module(module)
