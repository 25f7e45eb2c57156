"""``make test-external``: the suite against servers the settings name, with the broker's kind asked
of the broker. Here the servers are this run's own stack, standing in for a bank's Kafka/ClickHouse."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from hotline.broker_probe import BrokerUnreachable, probe_broker_kind, with_broker_kind
from tests.conftest import ROOT, Pipeline, Stack, free_port

pytestmark = pytest.mark.services


def test_the_local_broker_is_recognised_as_tansu(stack: Stack) -> None:
    assert asyncio.run(probe_broker_kind(stack.settings.kafka_bootstrap)) == "tansu"


def test_an_explicit_kind_is_not_asked_and_a_silent_broker_is_named() -> None:
    from config.settings import Settings

    nowhere = f"kafka://127.0.0.1:{free_port()}"
    assert with_broker_kind(Settings(kafka_url=nowhere, broker_kind="kafka")).broker_kind == "kafka"
    with pytest.raises(BrokerUnreachable, match="HOTLINE_BROKER_KIND"):
        asyncio.run(probe_broker_kind(nowhere.removeprefix("kafka://"), timeout_s=1))
    # The API starts all the same (503 until the broker is back), with Kafka's safe settings.
    assumed = with_broker_kind(Settings(kafka_url=nowhere), timeout_s=1, unreachable="kafka")
    assert assumed.broker_kind == "kafka"


def test_the_worker_and_api_ask_the_broker_what_it_is(pipeline: Pipeline) -> None:
    bootstrap = pipeline.stack.settings.kafka_bootstrap
    for process in ("worker", "api"):
        assert f"the broker at {bootstrap} is Tansu" in pipeline.log(process), process
    assert f"tansu://{bootstrap}" in pipeline.log("worker")  # Faust's banner: the Tansu transport


@pytest.mark.timeout(600)
def test_the_suite_runs_against_named_servers_and_starts_none(stack: Stack) -> None:
    env = {
        **os.environ,
        "HOTLINE_TEST_EXTERNAL": "1",
        "HOTLINE_KAFKA_URL": stack.settings.kafka_url,
        "HOTLINE_CLICKHOUSE_URL": stack.settings.clickhouse_url,
        "HOTLINE_REDIS_URL": stack.settings.redis_url,
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "tests/storage/test_clickhouse_schema.py",
            "tests/api/test_complaint_ingest.py::test_valid_complaint_is_accepted",
            "tests/hotline/test_local_stack.py",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    out = run.stdout
    assert run.returncode == 0, out[-4000:] + run.stderr[-2000:]
    assert " passed" in out and " failed" not in out, out[-2000:]
    assert "local stack only" in out, out[-2000:]  # the services' own tests are skipped, with the reason
    assert "started on" not in out  # nothing started: the named servers are used
