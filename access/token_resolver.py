"""Turn a presented token into a Principal: the configured admin token, or a stored role token.

Lookups are cached briefly per API process so ingest at thousands of requests a second does not
ask Redis each time; a revoked token therefore stops working within ``CACHE_S`` seconds. While Redis
is unreachable a token this process has seen keeps its last answer (revoking needs Redis anyway), so
a Redis restart does not lock out the systems that ingest.
"""

from __future__ import annotations

import hmac
import time

from pydantic import SecretStr
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from access.roles import Principal
from storage.api_tokens import ApiTokenStore

__all__ = ["CACHE_S", "TokenResolver"]

CACHE_S = 10.0
#: Cached answers kept at most (unknown tokens included, so a flood of bad ones stays bounded).
CACHE_MAX = 10_000


class TokenResolver:
    def __init__(self, store: ApiTokenStore, *, admin_token: SecretStr | None) -> None:
        self.store = store
        self.admin_token = admin_token.get_secret_value().encode() if admin_token else None
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def resolve(self, presented: str | None) -> Principal | None:
        if not presented:
            return None
        if self.admin_token and hmac.compare_digest(presented.encode(), self.admin_token):
            return Principal(name="admin (HOTLINE_API_TOKEN)", role="admin", token_id="env")
        now = time.monotonic()
        cached = self._cache.get(presented)
        if cached is not None and now - cached[0] < CACHE_S:
            return cached[1]
        try:
            stored = await self.store.lookup(presented)
        except (RedisConnectionError, RedisTimeoutError):
            if cached is not None:
                return cached[1]
            raise  # a 503 (api.errors): this token was never seen here
        principal = Principal(stored.name, stored.role, stored.token_id) if stored else None  # type: ignore[arg-type]  # a stored role was checked on create
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[presented] = (now, principal)
        return principal
