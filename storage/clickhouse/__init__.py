"""ClickHouse adapter: executors (server and in-process chdb), schema migrations, the complaint sink, reads.

``ChdbExecutor`` is importable from here, but chdb itself is only needed when one is constructed.
"""

from storage.clickhouse.analytics_deadlines import (
    ComplianceFigure,
    DeadlineState,
    RegulatorCase,
    deadline_compliance,
    insert_ticket_events,
    regulator_cases,
)
from storage.clickhouse.analytics_exports import complaint_rows, daily_figures, iter_complaint_pages
from storage.clickhouse.analytics_filters import RollupFilter, choose_granularity
from storage.clickhouse.analytics_pool import ExecutorPool
from storage.clickhouse.analytics_series import TagSeries, VolumeSeries, volume_series
from storage.clickhouse.analytics_topics import BranchTagMatrix, HotTag, branch_tag_matrix, hot_tags
from storage.clickhouse.batching_sink import BatchingSink
from storage.clickhouse.call_queries import (
    existing_call_ids,
    existing_utterance_ids,
    recent_calls,
    stored_call,
    stored_utterances,
)
from storage.clickhouse.call_sink import CallSink, UtteranceSink
from storage.clickhouse.chdb_executor import ChdbExecutor
from storage.clickhouse.complaint_row import NO_MARGIN, normalize_complaint
from storage.clickhouse.complaint_sink import ComplaintSink
from storage.clickhouse.executor import CONNECTION_ERRORS, ClickHouseExecutor, DriverExecutor
from storage.clickhouse.keyed_row_sink import SchemaNotReadyError
from storage.clickhouse.label_queries import ArchivedLabel, archive_labels, complaint_text
from storage.clickhouse.queries import (
    branch_row_counts,
    count_complaints,
    existing_event_ids,
    latest_complaints,
    minute_counts,
    minute_totals,
    top_tags,
    visible_event_ids,
    visible_sequence_numbers,
)
from storage.clickhouse.retention import ExpiredPartition, apply_retention
from storage.clickhouse.review_queries import MAX_REVIEW_ITEMS, ReviewItem, review_queue
from storage.clickhouse.schema import (
    COMPLAINT_COLUMNS,
    MIGRATIONS,
    AddColumn,
    Migration,
    apply_migrations,
    missing_migrations,
)
from storage.clickhouse.sql_literals import quote_identifier, render_literal, substitute_params
from storage.clickhouse.ticket_event_sink import TicketEventSink

__all__ = [
    "COMPLAINT_COLUMNS",
    "CONNECTION_ERRORS",
    "MAX_REVIEW_ITEMS",
    "MIGRATIONS",
    "NO_MARGIN",
    "AddColumn",
    "ArchivedLabel",
    "BatchingSink",
    "BranchTagMatrix",
    "CallSink",
    "ChdbExecutor",
    "ClickHouseExecutor",
    "ComplaintSink",
    "ComplianceFigure",
    "DeadlineState",
    "DriverExecutor",
    "ExecutorPool",
    "ExpiredPartition",
    "HotTag",
    "Migration",
    "RegulatorCase",
    "ReviewItem",
    "RollupFilter",
    "SchemaNotReadyError",
    "TagSeries",
    "TicketEventSink",
    "UtteranceSink",
    "VolumeSeries",
    "apply_migrations",
    "apply_retention",
    "archive_labels",
    "branch_row_counts",
    "branch_tag_matrix",
    "choose_granularity",
    "complaint_rows",
    "complaint_text",
    "count_complaints",
    "daily_figures",
    "deadline_compliance",
    "existing_call_ids",
    "existing_event_ids",
    "existing_utterance_ids",
    "hot_tags",
    "insert_ticket_events",
    "iter_complaint_pages",
    "latest_complaints",
    "minute_counts",
    "minute_totals",
    "missing_migrations",
    "normalize_complaint",
    "quote_identifier",
    "recent_calls",
    "regulator_cases",
    "render_literal",
    "review_queue",
    "stored_call",
    "stored_utterances",
    "substitute_params",
    "top_tags",
    "visible_event_ids",
    "visible_sequence_numbers",
    "volume_series",
]
