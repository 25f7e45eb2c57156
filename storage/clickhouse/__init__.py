"""ClickHouse adapter: executors (server and in-process chdb), schema migrations, the complaint sink, reads.

``ChdbExecutor`` is importable from here, but chdb itself is only needed when one is constructed.
"""

from storage.clickhouse.batching_sink import BatchingSink
from storage.clickhouse.chdb_executor import ChdbExecutor
from storage.clickhouse.complaint_row import normalize_complaint
from storage.clickhouse.complaint_sink import ComplaintSink, SchemaNotReadyError
from storage.clickhouse.executor import ClickHouseExecutor, DriverExecutor
from storage.clickhouse.queries import (
    count_complaints,
    existing_event_ids,
    latest_complaints,
    minute_counts,
    minute_totals,
    top_tags,
    visible_event_ids,
)
from storage.clickhouse.schema import (
    COMPLAINT_COLUMNS,
    MIGRATIONS,
    Migration,
    apply_migrations,
    missing_migrations,
)
from storage.clickhouse.sql_literals import quote_identifier, render_literal, substitute_params

__all__ = [
    "COMPLAINT_COLUMNS",
    "MIGRATIONS",
    "BatchingSink",
    "ChdbExecutor",
    "ClickHouseExecutor",
    "ComplaintSink",
    "DriverExecutor",
    "Migration",
    "SchemaNotReadyError",
    "apply_migrations",
    "count_complaints",
    "existing_event_ids",
    "latest_complaints",
    "minute_counts",
    "minute_totals",
    "missing_migrations",
    "normalize_complaint",
    "quote_identifier",
    "render_literal",
    "substitute_params",
    "top_tags",
    "visible_event_ids",
]
