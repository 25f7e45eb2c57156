"""The worker factory: one call builds a Faust app with everything a worker runs, from settings.

Nothing in ``streams`` is built at import: :func:`build_worker` makes the app
(:func:`streams.app.create_app`), declares the topics (:func:`streams.topics.declare_topics`),
adds the shared services (the worker context, the alert context, the ``/metrics`` server) and
installs the agent modules of ``settings.worker_agents`` (:mod:`streams.agent_sets`), each handed
the :class:`~streams.worker_parts.Worker` explicitly.
"""

from __future__ import annotations

import faust

from config.settings import Settings
from streams.agent_sets import install_agents
from streams.alert_context import AlertContext
from streams.app import create_app
from streams.metrics_server import WorkerMetricsServer
from streams.topics import declare_topics
from streams.worker_context import WorkerContext
from streams.worker_parts import Worker, add_service

__all__ = ["assemble_worker", "build_worker"]


def assemble_worker(settings: Settings, app: faust.App | None = None) -> Worker:
    """The app (``create_app(settings)`` unless given), its topics and shared services, no agents yet."""
    app = app if app is not None else create_app(settings)
    context = add_service(app, WorkerContext(settings))
    alert_context = add_service(app, AlertContext(settings, context=context, is_leader=app.is_leader))
    add_service(app, WorkerMetricsServer(settings, app=app, context=context))
    return Worker(
        app=app,
        settings=settings,
        topics=declare_topics(app, settings),
        context=context,
        alert_context=alert_context,
    )


def build_worker(settings: Settings) -> faust.App:
    """A Faust app running the agents of ``settings.worker_agents`` ("all", "tagging" or "alerts").

    >>> from config.settings import Settings
    >>> app = build_worker(Settings(topic_prefix="doc", worker_agents="alerts"))
    >>> app.conf.id, sorted(agent.split(".")[-1] for agent in app.agents)
    ('doc-alerts', ['alert_on_complaints'])
    """
    worker = assemble_worker(settings)
    install_agents(worker, settings.worker_agents)
    return worker.app
