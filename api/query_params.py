"""Query parameters shared by several routers (time ranges are in :mod:`api.time_ranges`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from storage.clickhouse.analytics_filters import RollupFilter

__all__ = ["Branch", "Channel", "Line", "RollupFilterDep"]

#: Only complaints from this channel (``web``, ``voice``, ...).
Channel = Annotated[str | None, Query(max_length=64)]
#: Only complaints of this branch.
Branch = Annotated[str | None, Query(max_length=64)]
#: Only complaints of this hotline line or queue.
Line = Annotated[str | None, Query(max_length=64)]


def _rollup_filter(channel: Channel = None, branch: Branch = None, line: Line = None) -> RollupFilter:
    return RollupFilter(channel, branch, line)


#: ``channel``, ``branch`` and ``line`` as one filter on the complaint rollups.
RollupFilterDep = Annotated[RollupFilter, Depends(_rollup_filter)]
