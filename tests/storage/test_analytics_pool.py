"""The executor pool lends one executor per call, reuses it, and drops one that failed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.clickhouse import ClickHouseExecutor, ExecutorPool
from tests.storage.conftest import Connect


def _one(executor: ClickHouseExecutor) -> int:
    return int(executor.execute("SELECT 1")[0][0])


def test_pool_reuses_executors_and_replaces_a_failed_one(clickhouse_connect: Connect) -> None:
    made: list[ClickHouseExecutor] = []

    def connect() -> ClickHouseExecutor:
        made.append(clickhouse_connect())
        return made[-1]

    pool = ExecutorPool(connect, size=2)
    assert [pool.run(_one) for _ in range(5)] == [1] * 5
    assert len(made) == 1  # one at a time: the same executor every call
    with pytest.raises(Exception, match=r"(?i)unknown|doesn't exist|not exist"):
        pool.run(lambda executor: executor.execute("SELECT * FROM no_such_table"))
    assert pool.run(_one) == 1
    assert len(made) == 2  # the failed one was dropped, a fresh one made
    with ThreadPoolExecutor(4) as threads:
        assert list(threads.map(lambda _: pool.run(_one), range(20))) == [1] * 20
    assert len(made) <= 2 + 2  # never more than `size` at once
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.run(_one)
