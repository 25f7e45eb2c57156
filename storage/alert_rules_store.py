"""Rules published through the API, kept in Redis so that every worker (on any host) sees them.

The rules file (``HOTLINE_RULES_PATH``) is the seed and the way to edit rules by hand; ``PUT
/api/v1/rules`` publishes a validated document here. Whichever of the two changed last is in force:
workers compare this document's ``updated_at`` with the file's modification time.

Keys (under the prefix passed in):

- ``<prefix>:rules`` - a hash: ``yaml`` (the document as YAML text), ``revision`` (grows by one per
  publish), ``updated_at`` (epoch seconds), ``updated_by`` (free text, e.g. the client's address).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from storage.redis_values import as_text_fields

__all__ = ["PublishedRules", "RulesStore"]

# Bump the revision and write the document in one step, so a reader never pairs a revision with
# another revision's text.
_PUBLISH_LUA = """
local revision = redis.call('HINCRBY', KEYS[1], 'revision', 1)
redis.call('HSET', KEYS[1], 'yaml', ARGV[1], 'updated_at', ARGV[2], 'updated_by', ARGV[3])
return revision
"""


@dataclass(frozen=True, slots=True)
class PublishedRules:
    """One published rules document."""

    yaml: str
    revision: int
    updated_at: float
    updated_by: str


class RulesStore:
    """Read and publish the API's rules document."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._publish = redis.register_script(_PUBLISH_LUA)

    @property
    def key(self) -> str:
        return f"{self.key_prefix}:rules"

    async def get(self) -> PublishedRules | None:
        """The latest published document, or None when nothing was ever published."""
        raw = await self.redis.hgetall(self.key)
        fields = as_text_fields(raw)
        if "yaml" not in fields:
            return None
        return PublishedRules(
            yaml=fields["yaml"],
            revision=int(fields.get("revision", "0")),
            updated_at=float(fields.get("updated_at", "0")),
            updated_by=fields.get("updated_by", ""),
        )

    async def publish(self, yaml_text: str, *, updated_at: float, updated_by: str = "") -> int:
        """Store ``yaml_text`` (already validated by the caller) and return its revision."""
        revision = await self._publish(keys=[self.key], args=[yaml_text, repr(updated_at), updated_by])
        return int(revision)
