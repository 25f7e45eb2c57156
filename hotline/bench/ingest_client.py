"""How every bench posts complaints: as a careful ingest client would.

A complaint POST is idempotent by id, so a request whose connection failed is sent again (seen once
in 90,000 requests: the API closing an idle keep-alive connection just as the client reused it,
httpx ReadError), and a 429 waits as long as the API's ``Retry-After`` says (capped). Without this,
one keep-alive race shows up as "missing" complaints in a bench that measures something else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, stop_after_attempt, wait_fixed

__all__ = ["BATCH_PATH", "IngestClient"]

log = logging.getLogger(__name__)

BATCH_PATH = "/api/v1/complaints/batch"
#: Tries of a request whose connection failed.
POST_ATTEMPTS = 3
RETRY_WAIT_S = 0.1
#: Longest wait after a 429 before the request is sent again.
MAX_BACKOFF_S = 1.0


@dataclass
class IngestClient:
    """Posts complaint batches through ``client``; counts the 429s it waited out."""

    client: httpx.AsyncClient
    throttled: int = 0

    async def post_batch(
        self, chunk: list[dict[str, Any]], on_send: Callable[[], None] | None = None
    ) -> httpx.Response:
        """The API's final answer to one batch (429s waited out, failed connections retried);
        raises ``httpx.HTTPError`` when every try failed to connect. ``on_send`` runs before each
        send after a 429 wait, so a latency measured from it leaves the wait out."""
        while True:
            if on_send is not None:
                on_send()
            response = await self._post(chunk)
            if response.status_code != 429:
                return response
            self.throttled += 1  # over the token's ingest limit: back off as told
            await asyncio.sleep(min(float(response.headers.get("Retry-After", 1)), MAX_BACKOFF_S))

    async def _post(self, chunk: list[dict[str, Any]]) -> httpx.Response:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(httpx.TransportError),
            stop=stop_after_attempt(POST_ATTEMPTS),
            wait=wait_fixed(RETRY_WAIT_S),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        ):
            with attempt:
                return await self.client.post(BATCH_PATH, json={"complaints": chunk})
        raise AssertionError("unreachable: tenacity re-raises the last error")
