"""ClickHouse fixtures: the local 18.16 server started by our own code (with ``make test-external``
the server ``HOTLINE_CLICKHOUSE_URL`` names instead), and chdb (current ClickHouse).

Schema and query tests take ``clickhouse_connect``/``clickhouse_executor``, which are parametrized over
both engines, each test on a database of its own. chdb binds one data path per process, so every
chdb executor in the test run uses the session's ``chdb_path``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from config.settings import Settings
from hotline.local_services import clickhouse as local_clickhouse
from storage.clickhouse import ChdbExecutor, ClickHouseExecutor, DriverExecutor
from storage.clickhouse.server_admin import drop_database
from tests.conftest import EXTERNAL, scratch_redis

Connect = Callable[[], ClickHouseExecutor]
#: A fixed minute, so rollup tests know which minute buckets they fill.
BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LocalClickHouse:
    state_dir: Path
    tcp_port: int
    http_port: int

    def url(self, database: str) -> str:
        return f"clickhouse://default:@127.0.0.1:{self.tcp_port}/{database}"


@dataclass(frozen=True)
class ExternalClickHouse:
    """The server of ``HOTLINE_CLICKHOUSE_URL`` (``make test-external``); each test its own database."""

    server_url: str

    def url(self, database: str) -> str:
        return f"{self.server_url}/{database}"


@pytest.fixture(scope="session")
def clickhouse_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalClickHouse | ExternalClickHouse]:
    """Debian's clickhouse-server, started by ``hotline.local_services.clickhouse`` on free ports."""
    if EXTERNAL:
        yield ExternalClickHouse(os.environ["HOTLINE_CLICKHOUSE_URL"].rsplit("/", 1)[0])
        return
    server = LocalClickHouse(tmp_path_factory.mktemp("clickhouse-state"), unused_port(), unused_port())
    local_clickhouse.start(server.state_dir, server.tcp_port, server.http_port)
    try:
        yield server
    finally:
        local_clickhouse.stop(server.state_dir)


@pytest.fixture
def port_factory() -> Callable[[], int]:
    """Returns free loopback ports (free now; a test binds them soon after)."""
    return unused_port


@pytest.fixture(params=[pytest.param("server", marks=pytest.mark.services), "chdb"])
def clickhouse_connect(request: pytest.FixtureRequest) -> Iterator[Connect]:
    """Factory of executors on one fresh database, on the local server or in chdb."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    made: list[ClickHouseExecutor] = []
    if request.param == "server":
        server: LocalClickHouse | ExternalClickHouse = request.getfixturevalue("clickhouse_server")

        def connect() -> ClickHouseExecutor:
            made.append(DriverExecutor.from_url(server.url(database)))
            return made[-1]
    else:
        path: str = request.getfixturevalue("chdb_path")

        def connect() -> ClickHouseExecutor:
            made.append(ChdbExecutor(path, database))
            return made[-1]

    yield connect
    cleanup = connect()
    drop_database(cleanup, database)
    for executor in made:
        executor.close()


@pytest.fixture
def clickhouse_executor(clickhouse_connect: Connect) -> ClickHouseExecutor:
    return clickhouse_connect()


@pytest.fixture
def make_complaint() -> Callable[..., dict[str, Any]]:
    """Factory of complaint rows; ``minute`` offsets ``received_at`` from :data:`BASE_TIME`."""

    def make(
        event_id: str,
        *,
        minute: int = 0,
        tags: dict[str, str] | None = None,
        channel: str = "phone",
        branch: str = "b1",
        text: str = "my card has not arrived",
        regulator_forwarded: bool = False,
    ) -> dict[str, Any]:
        tags = {"product": "card"} if tags is None else tags
        received = BASE_TIME + timedelta(minutes=minute, seconds=7)
        return {
            "event_id": event_id,
            "received_at": received.timestamp(),
            "classified_at": received.timestamp() + 0.25,
            "channel": channel,
            "branch": branch,
            "line": "main",
            "product_hint": "",
            "customer_ref_hash": "h" * 16,
            "regulator_forwarded": regulator_forwarded,
            "regulator_ref": "R-1" if regulator_forwarded else "",
            "text": text,
            "tag_dimensions": list(tags),
            "tags": list(tags.values()),
            "tag_confidences": [0.75] * len(tags),
            "tag_sources": ["model"] * len(tags),
            "model_version": "test-1",
            "risk": 0.5,
        }

    return make


@pytest.fixture
async def redis_scratch() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    """The configured Redis and a key prefix of the test's own (see :func:`tests.conftest.scratch_redis`)."""
    async with scratch_redis(Settings().redis_url, "storage") as scratch:
        yield scratch


@pytest.fixture
def redis_client(redis_scratch: tuple[aioredis.Redis, str]) -> aioredis.Redis:
    return redis_scratch[0]


@pytest.fixture
def key_prefix(redis_scratch: tuple[aioredis.Redis, str]) -> str:
    return redis_scratch[1]
