"""Push alerts to webhooks: one delivery loop per target, each reading the alert stream on its own.

Alerting never waits for a webhook: the loops read the Redis stream after the fact, each from its
own cursor (``webhook:<id>``), so a slow or failing target delays only itself. A delivery is
retried (tenacity) with doubling waits (``alerts.backoff_delays``) up to the target's
``max_attempts``; an answer that cannot improve (4xx other than 429) is not retried. A target that
is new starts with the alerts of the last minute (so one configured just before an alert still gets
it), then follows live. Robot texts are in the target's ``language``, else in the worker's default
(``HOTLINE_WEBHOOK_LANGUAGE``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Literal

import httpx
from tenacity import AsyncRetrying, retry_if_result, stop_after_attempt

from alerts import AlertViewer, Webhook, backoff_delays, dingtalk_signed_url, render_webhook, robot_accepted
from alerts.webhooks import WebhookLanguage
from storage.alert_stream import AlertStream, StreamEntry
from streams.worker_metrics import WEBHOOK_FAILURES

__all__ = ["WebhookDelivery", "WebhookDispatcher"]

log = logging.getLogger(__name__)

#: A new target first delivers alerts this recent.
NEW_TARGET_LOOKBACK_S = 60.0
READ_BLOCK_MS = 1000
READ_COUNT = 50

#: What one delivery attempt says about the next: stop (accepted, or refused for good) or retry.
_Verdict = Literal["accepted", "refused", "retry"]


class WebhookDelivery:
    """Delivers one target's alerts, in stream order, at least once each (up to its attempts)."""

    def __init__(
        self,
        stream: AlertStream,
        hook: Webhook,
        client: httpx.AsyncClient,
        *,
        backoff_s: float,
        backoff_cap_s: float,
        language: WebhookLanguage = "en",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.stream = stream
        self.hook = hook
        self.client = client
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.language: WebhookLanguage = hook.language or language
        self.environ = os.environ if environ is None else environ
        self.viewer = AlertViewer(hook.audience, hook.min_severity)
        self.delivered = 0
        self.failed = 0

    @property
    def reader(self) -> str:
        return f"webhook:{self.hook.id}"

    def wants(self, entry: StreamEntry) -> bool:
        return entry.event in self.hook.events and self.viewer.notified_of(entry.alert)

    async def run(self, keep_going: Callable[[], bool] = lambda: True) -> None:
        """Deliver until cancelled or ``keep_going()`` turns false (e.g. no longer the leader)."""
        cursor = await self.stream.cursor(self.reader)
        if cursor is None:
            cursor = f"{int((time.time() - NEW_TARGET_LOOKBACK_S) * 1000)}-0"
        while keep_going():
            try:
                entries = await self.stream.read_entries(cursor, count=READ_COUNT, block_ms=READ_BLOCK_MS)
            except Exception as exc:  # Redis away: wait and read again from the same cursor
                log.warning("webhook %s cannot read alerts: %r", self.hook.id, exc)
                await asyncio.sleep(self.backoff_s)
                continue
            for entry in entries:
                if self.wants(entry):
                    await self.deliver(entry)
                cursor = entry.stream_id
                await self.stream.set_cursor(self.reader, cursor)

    async def deliver(self, entry: StreamEntry) -> bool:
        """Post one alert event, retrying with backoff; True when the target took it."""
        hook = self.hook
        url = hook.resolve_url(self.environ)
        if url is None:
            log.error(
                "webhook %s: %s is not set; alert %s not sent",
                hook.id,
                hook.url_env,
                entry.alert.get("alert_id"),
            )
            self.failed += 1
            WEBHOOK_FAILURES.labels(webhook=hook.id, stage="delivery").inc()
            return False
        body = render_webhook(hook.format, entry.event, entry.alert, entry.stream_id, self.language)
        secret = self.environ.get(hook.secret_env) if hook.secret_env else None
        delays = backoff_delays(hook.max_attempts, base_s=self.backoff_s, cap_s=self.backoff_cap_s)
        attempts = 0

        async def post_once() -> _Verdict:
            nonlocal attempts
            attempts += 1
            target = dingtalk_signed_url(url, secret, int(time.time() * 1000)) if secret else url
            try:
                response = await self.client.post(target, json=body, timeout=hook.timeout_s)
            except httpx.HTTPError as exc:
                log.warning("webhook %s attempt %d failed: %s", hook.id, attempts, type(exc).__name__)
                WEBHOOK_FAILURES.labels(webhook=hook.id, stage="attempt").inc()
                return "retry"
            if robot_accepted(hook.format, response.status_code, response.content):
                return "accepted"
            log.warning("webhook %s attempt %d refused: HTTP %d", hook.id, attempts, response.status_code)
            WEBHOOK_FAILURES.labels(webhook=hook.id, stage="attempt").inc()
            if 400 <= response.status_code < 500 and response.status_code != 429:
                return "refused"  # the request itself is wrong: retrying cannot help
            return "retry"

        retrying = AsyncRetrying(
            stop=stop_after_attempt(len(delays) + 1),
            # tenacity asks for the wait before it checks the stop: past the last delay, none.
            wait=lambda state: (
                delays[state.attempt_number - 1] if state.attempt_number <= len(delays) else 0.0
            ),
            retry=retry_if_result(lambda verdict: verdict == "retry"),
            retry_error_callback=lambda state: "retry",  # out of attempts: the last verdict stands
        )
        if await retrying(post_once) == "accepted":
            self.delivered += 1
            return True
        log.error("webhook %s gave up on alert %s (%s)", hook.id, entry.alert.get("alert_id"), entry.event)
        self.failed += 1
        WEBHOOK_FAILURES.labels(webhook=hook.id, stage="delivery").inc()
        return False


class WebhookDispatcher:
    """Keeps one :class:`WebhookDelivery` task running per enabled target of the current rules."""

    def __init__(
        self,
        stream: AlertStream,
        *,
        backoff_s: float,
        backoff_cap_s: float,
        language: WebhookLanguage = "en",
        keep_going: Callable[[], bool] = lambda: True,
    ) -> None:
        self.stream = stream
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.language = language
        self.keep_going = keep_going
        self.client = httpx.AsyncClient(follow_redirects=False)
        self.tasks: dict[str, tuple[Webhook, WebhookDelivery, asyncio.Task[None]]] = {}
        self.unset: set[str] = set()

    def sync(self, hooks: tuple[Webhook, ...]) -> None:
        """Start loops for new or changed targets, stop those removed, disabled or changed."""
        wanted = {}
        for hook in hooks:
            if not hook.enabled:
                continue
            if hook.resolve_url(os.environ) is None:  # its URL variable is unset: the target is off
                if hook.id not in self.unset:
                    log.info("webhook %s is off: %s is not set", hook.id, hook.url_env)
                    self.unset.add(hook.id)
                continue
            self.unset.discard(hook.id)
            wanted[hook.id] = hook
        for hook_id, (hook, _, task) in list(self.tasks.items()):
            if wanted.get(hook_id) != hook or task.done():
                task.cancel()
                del self.tasks[hook_id]
        for hook_id, hook in wanted.items():
            if hook_id not in self.tasks:
                delivery = WebhookDelivery(
                    self.stream,
                    hook,
                    self.client,
                    backoff_s=self.backoff_s,
                    backoff_cap_s=self.backoff_cap_s,
                    language=self.language,
                )
                task = asyncio.ensure_future(delivery.run(self.keep_going))
                self.tasks[hook_id] = (hook, delivery, task)
                log.info("webhook %s (%s, %s) started", hook_id, hook.audience, hook.format)

    async def close(self) -> None:
        for _, _, task in self.tasks.values():
            task.cancel()
        self.tasks.clear()
        await self.client.aclose()
