"""What every agent module's ``install`` is handed: the app, the settings, the topics and the
services the agents share, all built by :func:`streams.worker.build_worker`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import faust
from mode import Service

from config.settings import Settings
from streams.alert_context import AlertContext
from streams.topics import Topics
from streams.worker_context import WorkerContext

__all__ = ["Worker", "add_service"]

S = TypeVar("S", bound=Service)


@dataclass(frozen=True, slots=True)
class Worker:
    """One worker's parts; an agent module adds its agents, timers and own services to ``app``."""

    app: faust.App
    settings: Settings
    topics: Topics
    #: Redis, the model, the rules and the complaint sink.
    context: WorkerContext
    #: The alert store, the published rules and the silences.
    alert_context: AlertContext


def add_service(app: faust.App, service: S) -> S:
    """``service``, registered to start and stop with ``app`` (``app.service`` is typed for classes)."""
    app.service(service)  # type: ignore[arg-type]  # faust types app.service for classes; instances work
    return service
