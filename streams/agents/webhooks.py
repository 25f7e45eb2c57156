"""Webhook pushes run on the leader: this timer keeps one delivery loop per configured target."""

from __future__ import annotations

from streams.worker_parts import Worker

__all__ = ["install"]

#: How soon a webhook added to (or changed in) the rules starts (or restarts).
SYNC_S = 2.0


def install(worker: Worker) -> None:
    """Add the leader's :func:`keep_webhooks_running` timer to the worker's app."""
    context, alert_context = worker.context, worker.alert_context

    @worker.app.timer(SYNC_S, on_leader=True)
    async def keep_webhooks_running() -> None:
        """Start, restart or stop the webhook loops to match the rules in force."""
        if alert_context.ready.is_set() and context.ready.is_set():
            alert_context.webhooks.sync(context.rules.rules.webhooks)
