"""OutageLog: sparse warnings while a retried task keeps failing, one line when it works again."""

from __future__ import annotations

import doctest
import logging

import pytest

import streams.outage_log
from streams.outage_log import OutageLog


def test_docstring_examples() -> None:
    result = doctest.testmod(streams.outage_log)
    assert result.attempted > 0 and result.failed == 0


def test_a_minute_of_failures_logs_six_warnings_and_one_recovery(caplog: pytest.LogCaptureFixture) -> None:
    outage = OutageLog("archive", logging.getLogger("test.outage"))
    with caplog.at_level(logging.DEBUG, logger="test.outage"):
        for _ in range(60):
            outage.failed(ConnectionError("refused"))
        assert outage.recovered()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.args[1] for r in warnings] == [1, 2, 4, 8, 16, 32]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "archive works again after 60 failure(s) over 0 s"
    ]
    assert outage.failures == 0
