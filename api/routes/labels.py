"""Correcting a complaint's tag: ``POST /api/v1/complaints/{id}/labels``.

The label is checked against the taxonomy (422 naming the unknown dimension or tag), joined with
the complaint's stored text (404 if the complaint is not stored), and sent to the ``labels``
topic; the learner learns it and publishes a new model that every worker loads within seconds.
Once the broker has it, it is also archived in ClickHouse (``complaint_labels``), so the review
queue leaves the complaint out; a failed archive is logged and the label stands (the broker has
it: the model learns it), the complaint merely staying in the queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from access.roles import Principal
from api.audit import AuditDep
from api.auth import forbidden, require
from api.complaint_producer import BrokerUnavailable
from api.label_producer import LabelProducer
from api.routes.stats import StatsPoolDep
from api.taxonomy_source import TaxonomyDep
from events.label_records import LabelEvent
from online_models import UnknownLabelError
from storage.clickhouse import ArchivedLabel, DriverExecutor, ExecutorPool, archive_labels, complaint_text

__all__ = ["LabelAccepted", "LabelIn", "router"]

log = logging.getLogger(__name__)

#: Longest wait for ClickHouse to connect when looking up the complaint's text.
LOOKUP_CONNECT_TIMEOUT_S = 2.0

ComplaintId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="The complaint's id.")
]
Labeller = Annotated[Principal, Depends(require("labels.write"))]


@asynccontextmanager
async def _producer_lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.label_producer = LabelProducer(app.state.settings)
    try:
        yield
    finally:
        await app.state.label_producer.stop()


router = APIRouter(prefix="/api/v1/complaints", tags=["labels"], lifespan=_producer_lifespan)


class LabelIn(BaseModel):
    """A reviewer's tag for one dimension of a complaint (a correction or a confirmation)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    dimension: str = Field(min_length=1, max_length=64, description="Taxonomy dimension, e.g. `cause`.")
    tag: str = Field(min_length=1, max_length=64, description="A tag of that dimension, e.g. `fees_pricing`.")
    who: str | None = Field(
        None, min_length=1, max_length=128, description="Who labelled it (default: the token's name)."
    )


class LabelAccepted(BaseModel):
    label_id: str
    complaint_id: str
    dimension: str
    tag: str
    who: str
    labelled_at: float


def _lookup_text(clickhouse_url: str, complaint_id: str, *, regulator_only: bool) -> str | None:
    """The complaint's text; for a regulator-only caller, 403 when it is stored but not forwarded."""
    executor = DriverExecutor.from_url(clickhouse_url, connect_timeout=LOOKUP_CONNECT_TIMEOUT_S)
    try:
        text = complaint_text(executor, complaint_id, regulator_only=regulator_only)
        if text is None and regulator_only and complaint_text(executor, complaint_id) is not None:
            raise forbidden(
                "role 'regulator_desk' may label only regulator-forwarded complaints;"
                f" {complaint_id!r} is not one"
            )
        return text
    finally:
        executor.close()


@router.post(
    "/{complaint_id}/labels",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=LabelAccepted,
    responses={
        404: {"description": "No complaint with this id is stored (yet)."},
        422: {"description": "Unknown dimension or tag (named in the message)."},
        503: {"description": "Broker or ClickHouse unreachable: nothing was accepted."},
    },
)
async def label_complaint(
    complaint_id: ComplaintId,
    body: LabelIn,
    request: Request,
    taxonomy: TaxonomyDep,
    principal: Labeller,
    pool: StatsPoolDep,
    audit: AuditDep,
) -> LabelAccepted:
    """Accept a label; 202 once the broker has it. The model learns it within seconds."""
    try:
        taxonomy.check_label(body.dimension, body.tag)
    except UnknownLabelError as exc:
        raise RequestValidationError(
            [{"loc": ["body", exc.field], "type": f"unknown_{exc.field}", "msg": str(exc)}]
        ) from None
    settings = request.app.state.settings
    try:
        text = await asyncio.to_thread(
            _lookup_text, settings.clickhouse_url, complaint_id, regulator_only=principal.regulator_only
        )
    except HTTPException:
        raise
    except Exception as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"cannot look the complaint up in ClickHouse ({type(exc).__name__}); retry",
            headers={"Retry-After": "5"},
        ) from exc
    if text is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"complaint {complaint_id!r} is not stored (a new complaint is stored about a second after it"
            " is accepted)",
        )
    label = LabelEvent(
        label_id=uuid.uuid4().hex,
        complaint_id=complaint_id,
        dimension=body.dimension,
        tag=body.tag,
        text=text,
        who=body.who or principal.name,
        labelled_at=time.time(),
    )
    try:
        await request.app.state.label_producer.send(label)
    except BrokerUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "5"}
        ) from exc
    await _archive(pool, label)
    detail = {"label_id": label.label_id, "dimension": label.dimension, "tag": label.tag, "who": label.who}
    await audit(principal, "label.create", complaint_id, detail)
    return LabelAccepted(**label.model_dump(exclude={"text"}))


async def _archive(pool: ExecutorPool, label: LabelEvent) -> None:
    """Record the accepted label in ClickHouse for the review queue; a failure only logs."""
    archived = ArchivedLabel(
        label_id=label.label_id,
        complaint_id=label.complaint_id,
        dimension=label.dimension,
        tag=label.tag,
        who=label.who,
        labelled_at=label.labelled_at,
    )
    try:
        await asyncio.to_thread(pool.run, archive_labels, [archived])
    except Exception as exc:
        log.warning(
            "label %s of %s accepted but not archived (%r): it stays in the review queue",
            label.label_id,
            label.complaint_id,
            exc,
        )
