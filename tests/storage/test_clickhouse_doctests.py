"""The Examples in storage's docstrings run (storage/ is not in pytest's doctest paths)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "storage.clickhouse.sql_literals",
    "storage.clickhouse.complaint_row",
    "storage.clickhouse.schema",
    "storage.clickhouse.ticket_event_rows",
    "storage.redis_stream_replies",
    "hotline.local_services.base",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
