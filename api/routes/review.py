"""The review queue: ``GET /api/v1/review?dimension=...&limit=...`` and the tags to pick from.

Lists recent complaints (the last ``HOTLINE_REVIEW_LOOKBACK_DAYS``) whose tag in one dimension the
model decided but was least sure of (lowest margin: best minus runner-up probability), so staff
label those first; complaints already labelled in that dimension are left out. Labels go through
``POST /api/v1/complaints/{id}/labels`` (the learning loop), which also archives them, so a
labelled complaint leaves the queue. The regulator desk gets regulator-forwarded complaints only,
whatever it asks (forced here, on the server), as with labels and exports.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from access.roles import Principal
from api.auth import require
from api.clickhouse_pool import run_query
from api.deps import ClickHouseDep, SettingsDep
from api.taxonomy_source import TaxonomyDep
from api.time_ranges import EpochSeconds, invalid_query
from online_models import DimensionSpec, Taxonomy, UnknownLabelError
from storage.clickhouse import MAX_REVIEW_ITEMS, review_queue

__all__ = ["ReviewQueueOut", "router"]

router = APIRouter(prefix="/api/v1/review", tags=["review"])

Reviewer = Annotated[Principal, Depends(require("review.read"))]


class DisplayNameOut(BaseModel):
    zh: str
    en: str


class TagOptionOut(BaseModel):
    """A tag a reviewer may choose (parents too: a valid label for who cannot tell the finer tag)."""

    id: str
    name: DisplayNameOut
    depth: int = Field(description="1 for a top-level tag, 2-3 for its children.")


class DimensionOut(BaseModel):
    id: str
    name: DisplayNameOut
    open: bool = Field(description="Whether labels may use tags not listed (they become tags once learned).")
    tags: list[TagOptionOut]


class ReviewItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # of review_queries.ReviewItem

    complaint_id: str = Field(validation_alias="event_id")
    received_at: EpochSeconds = Field(description="Epoch seconds (UTC).")
    channel: str
    text: str = Field(description="The complaint text as stored (customer text: show it as text).")
    regulator_forwarded: bool
    tag: str = Field(description="The model's tag in the dimension.")
    confidence: float = Field(description="The model's probability of that tag.")
    margin: float = Field(description="Best minus runner-up probability (0: a coin toss; 1: certain).")
    model_version: str


class ReviewQueueOut(BaseModel):
    dimension: DimensionOut = Field(description="The dimension with the tags a label may use.")
    since: datetime = Field(description="Start of the look-back window (HOTLINE_REVIEW_LOOKBACK_DAYS).")
    regulator_only: bool
    items: list[ReviewItemOut] = Field(description="Least sure first (margin ascending, then newest).")


class DimensionsOut(BaseModel):
    dimensions: list[DimensionOut]


def _dimension_out(dimension: DimensionSpec) -> DimensionOut:
    return DimensionOut(
        id=dimension.id,
        name=DisplayNameOut(zh=dimension.name.zh, en=dimension.name.en),
        open=dimension.open,
        tags=[
            TagOptionOut(id=tag.id, name=DisplayNameOut(zh=tag.name.zh, en=tag.name.en), depth=depth)
            for tag, depth in dimension.walk()
        ],
    )


def _dimension(taxonomy: Taxonomy, dimension_id: str) -> DimensionSpec:
    try:
        return taxonomy.dimension(dimension_id)
    except UnknownLabelError as exc:
        raise invalid_query("dimension", str(exc)) from None


@router.get(
    "",
    response_model=ReviewQueueOut,
    responses={
        422: {"description": "Unknown dimension (named, with the known ones) or a bad limit."},
        503: {"description": "ClickHouse unreachable."},
    },
)
async def review(
    pool: ClickHouseDep,
    settings: SettingsDep,
    taxonomy: TaxonomyDep,
    principal: Reviewer,
    dimension: Annotated[str, Query(min_length=1, max_length=64, description="Taxonomy dimension.")],
    limit: Annotated[int, Query(ge=1, le=MAX_REVIEW_ITEMS)] = 20,
) -> ReviewQueueOut:
    """Recent complaints whose ``dimension`` tag the model was least sure of, not yet labelled there."""
    spec = _dimension(taxonomy, dimension)
    since = datetime.now(UTC) - timedelta(days=settings.review_lookback_days)
    regulator_only = principal.regulator_only
    items = await run_query(
        pool, review_queue, dimension=spec.id, since=since, limit=limit, regulator_only=regulator_only
    )
    return ReviewQueueOut(
        dimension=_dimension_out(spec),
        since=since,
        regulator_only=regulator_only,
        items=[ReviewItemOut.model_validate(item) for item in items],
    )


@router.get("/dimensions", response_model=DimensionsOut, dependencies=[Depends(require("review.read"))])
async def dimensions(taxonomy: TaxonomyDep) -> DimensionsOut:
    """Every taxonomy dimension with the tags a label may use (what the queue's reviewer picks from)."""
    return DimensionsOut(dimensions=[_dimension_out(d) for d in taxonomy.dimensions])
