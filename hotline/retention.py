"""``hotline retention apply``: drop the ClickHouse partitions older than the configured retention.

Run it daily (cron, a systemd timer, a Kubernetes CronJob); dropping a partition is instant and
running it twice is harmless.
"""

from __future__ import annotations

import logging

from config.settings import Settings
from storage.clickhouse import DriverExecutor
from storage.clickhouse.retention import ExpiredPartition, apply_retention

__all__ = ["run_retention"]

log = logging.getLogger(__name__)


def run_retention(settings: Settings, *, dry_run: bool = False) -> list[ExpiredPartition]:
    """Apply ``HOTLINE_RETENTION_DAYS`` / ``HOTLINE_ROLLUP_RETENTION_DAYS`` to the configured database."""
    executor = DriverExecutor.from_url(settings.clickhouse_url)
    try:
        expired = apply_retention(
            executor,
            raw_days=settings.retention_days,
            rollup_days=settings.rollup_retention_days,
            dry_run=dry_run,
        )
    finally:
        executor.close()
    log.info("retention: %d partition(s) %s", len(expired), "expired" if dry_run else "dropped")
    return expired
