"""API tokens in Redis, stored only as SHA-256 digests: a leaked Redis dump reveals no token.

Keys: ``<prefix>:tokens:<token_id>`` (hash: name, role, digest, created_at) and
``<prefix>:tokens:by-digest:<digest>`` -> token id, for the lookup on every request.
A token reads ``hl_<token_id>_<secret>``; its id is not secret and names it in lists and logs.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from storage.redis_values import as_text, as_text_fields

__all__ = ["ApiTokenStore", "StoredToken", "token_digest"]

#: Random bytes in a token's secret part (256 bits).
SECRET_BYTES = 32


def token_digest(token: str) -> str:
    """SHA-256 of the whole token: tokens are random and long, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredToken:
    token_id: str
    name: str
    role: str
    created_at: float


class ApiTokenStore:
    """Create, look up, list and revoke role tokens."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix

    def _token_key(self, token_id: str) -> str:
        return f"{self.key_prefix}:tokens:{token_id}"

    def _digest_key(self, digest: str) -> str:
        return f"{self.key_prefix}:tokens:by-digest:{digest}"

    @property
    def _index_key(self) -> str:
        return f"{self.key_prefix}:tokens:index"

    async def create(self, *, name: str, role: str) -> tuple[StoredToken, str]:
        """A new token; the plaintext is returned once and never stored."""
        token_id = secrets.token_hex(6)
        plaintext = f"hl_{token_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        digest = token_digest(plaintext)
        stored = StoredToken(token_id=token_id, name=name, role=role, created_at=time.time())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self._token_key(token_id),
                mapping={"name": name, "role": role, "digest": digest, "created_at": str(stored.created_at)},
            )
            pipe.set(self._digest_key(digest), token_id)
            pipe.sadd(self._index_key, token_id)
            await pipe.execute()
        return stored, plaintext

    async def lookup(self, plaintext: str) -> StoredToken | None:
        token_id = await self.redis.get(self._digest_key(token_digest(plaintext)))
        if token_id is None:
            return None
        return await self.get(as_text(token_id))

    async def get(self, token_id: str) -> StoredToken | None:
        fields = await self.redis.hgetall(self._token_key(token_id))
        if not fields:
            return None
        text = as_text_fields(fields)
        return StoredToken(token_id, text["name"], text["role"], float(text["created_at"]))

    async def list(self) -> list[StoredToken]:
        ids = sorted(as_text(m) for m in await self.redis.smembers(self._index_key))
        found = [await self.get(token_id) for token_id in ids]
        return sorted((t for t in found if t is not None), key=lambda t: t.created_at)

    async def revoke(self, token_id: str) -> bool:
        """Delete the token; True when it existed."""
        digest = await self.redis.hget(self._token_key(token_id), "digest")
        if digest is None:
            return False
        digest_text = as_text(digest)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._token_key(token_id), self._digest_key(digest_text))
            pipe.srem(self._index_key, token_id)
            await pipe.execute()
        return True
