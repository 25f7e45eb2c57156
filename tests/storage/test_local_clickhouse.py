"""Starting, probing and stopping the local ClickHouse, and the sink riding out an outage of it."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.local_services import clickhouse as local_clickhouse
from hotline.local_services.base import ServiceError
from storage.clickhouse import (
    ComplaintSink,
    DriverExecutor,
    SchemaNotReadyError,
    apply_migrations,
    count_complaints,
    minute_counts,
)

pytestmark = [pytest.mark.services, pytest.mark.local_services]
BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # the make_complaint fixture's base minute


def test_start_is_idempotent_and_status_tells_the_truth(clickhouse_server) -> None:
    message = local_clickhouse.start(
        clickhouse_server.state_dir, clickhouse_server.tcp_port, clickhouse_server.http_port
    )
    assert "already answering" in message and "ours" in message
    status = local_clickhouse.status(clickhouse_server.state_dir, clickhouse_server.tcp_port)
    assert status.running and status.name == "clickhouse"
    assert status.where == f"127.0.0.1:{clickhouse_server.tcp_port}"
    assert "18.16" in status.detail or "version" in status.detail
    logs = clickhouse_server.state_dir / "logs"
    assert (logs / "clickhouse.log").stat().st_size > 0
    assert (clickhouse_server.state_dir / "clickhouse" / "config.xml").read_text().count("<yandex>") == 1


def test_stop_and_start_again_keeps_data(tmp_path: Path, port_factory: Callable[[], int]) -> None:
    tcp, http = port_factory(), port_factory()
    started = time.monotonic()
    assert "started" in local_clickhouse.start(tmp_path, tcp, http)
    assert time.monotonic() - started < 10
    try:
        executor = DriverExecutor.from_url(f"clickhouse://default:@127.0.0.1:{tcp}/keep")
        executor.execute("CREATE TABLE IF NOT EXISTS kept (x UInt8) ENGINE = MergeTree ORDER BY x")
        executor.insert("kept", ["x"], [(7,)])
        executor.close()
        assert local_clickhouse.stop(tmp_path) == "clickhouse: stopped"
        assert not local_clickhouse.status(tmp_path, tcp).running
        assert "not running" in local_clickhouse.stop(tmp_path)
        local_clickhouse.start(tmp_path, tcp, http)
        executor = DriverExecutor.from_url(f"clickhouse://default:@127.0.0.1:{tcp}/keep")
        assert executor.execute("SELECT x FROM kept") == [(7,)]
        executor.close()
    finally:
        local_clickhouse.stop(tmp_path)


def test_a_port_taken_by_another_program_is_reported(tmp_path: Path, port_factory: Callable[[], int]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(ServiceError, match="taken"):
            local_clickhouse.start(tmp_path, taken, port_factory())


def test_a_server_that_dies_at_start_is_reported_with_its_log(
    tmp_path: Path, port_factory: Callable[[], int]
) -> None:
    port = port_factory()
    started = time.monotonic()
    with pytest.raises(ServiceError, match="the server exited") as failure:
        local_clickhouse.start(tmp_path, port, port)  # the HTTP listener cannot bind the TCP port
    assert time.monotonic() - started < 10
    assert "Address already in use" in str(failure.value)
    assert not local_clickhouse.status(tmp_path, port).running


def test_a_missing_binary_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_clickhouse, "_CANDIDATES", (("clickhouse-server-not-here", ()),))
    with pytest.raises(ServiceError, match="apt-get install clickhouse-server"):
        local_clickhouse.server_command()


def test_sink_keeps_rows_through_an_outage_and_writes_each_once(
    tmp_path: Path, port_factory: Callable[[], int], make_complaint
) -> None:
    tcp, http = port_factory(), port_factory()
    url = f"clickhouse://default:@127.0.0.1:{tcp}/outage"
    sink = ComplaintSink.from_url(
        url, batch_rows=50, flush_s=0.1, max_buffer_rows=100, retry_initial_s=0.05, retry_max_s=0.3
    )
    rows = [make_complaint(f"o-{i}", minute=i % 4) for i in range(120)]
    try:
        # Nothing listens on the port yet: rows stay buffered, flush reports it, backpressure rises.
        sink.add_many(rows[:60])
        assert not sink.backpressure
        with pytest.raises(TimeoutError, match="60 rows still buffered"):
            sink.flush(timeout=1.0)
        assert sink.buffered == 60
        assert isinstance(sink.last_error, Exception)
        sink.add_many(rows[60:] + rows[:10])  # more, and a redelivery of rows not yet written
        assert sink.backpressure
        # The server comes up, without schema at first: the sink must wait for the migrations.
        local_clickhouse.start(tmp_path, tcp, http)
        executor = DriverExecutor.from_url(url)
        time.sleep(0.5)
        assert isinstance(sink.last_error, SchemaNotReadyError)
        assert sink.buffered == 130
        apply_migrations(executor)
        assert sink.flush(timeout=30) == 120
        assert not sink.backpressure
        assert count_complaints(executor, [r["event_id"] for r in rows]) == 120
        counted = minute_counts(
            executor, dimension="product", tag="card", since=BASE_TIME, until=BASE_TIME + timedelta(hours=1)
        )
        assert sum(n for _, n in counted) == 120
        executor.close()
    finally:
        sink.close(timeout=2)
        local_clickhouse.stop(tmp_path)
