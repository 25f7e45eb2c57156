"""The base of a worker's services: built from the settings, ``ready`` once started.

Agents wait on ``ready`` before their first record, so a service's clients (Redis, ClickHouse
sinks) exist by then whatever order Faust starts things in.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mode import Service

from config.settings import Settings

__all__ = ["WorkerService"]


class WorkerService(Service):
    """A ``mode.Service`` holding the worker's settings and a ``ready`` event its ``on_start`` sets."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        self.settings = settings
        self.ready = asyncio.Event()
        super().__init__(**kwargs)
