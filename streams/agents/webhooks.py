"""Webhook pushes run on the leader: this timer keeps one delivery loop per configured target."""

from __future__ import annotations

from streams.alert_context import alert_context
from streams.app import app
from streams.worker_context import context

__all__ = ["keep_webhooks_running"]

#: How soon a webhook added to (or changed in) the rules starts (or restarts).
SYNC_S = 2.0


@app.timer(SYNC_S, on_leader=True)
async def keep_webhooks_running() -> None:
    """Start, restart or stop the webhook loops to match the rules in force."""
    if alert_context.ready.is_set() and context.ready.is_set():
        alert_context.webhooks.sync(context.rules.rules.webhooks)
