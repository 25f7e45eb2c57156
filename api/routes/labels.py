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
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from access.roles import Principal
from api.audit import AuditDep
from api.auth import forbidden, require
from api.clickhouse_pool import run_query
from api.deps import ClickHouseDep, ProducerDep
from api.event_producer import BrokerUnavailable, broker_unavailable
from api.taxonomy_source import TaxonomyDep
from events.label_records import LabelEvent
from events.topic_names import LABELS
from online_models import UnknownLabelError
from storage.clickhouse import ArchivedLabel, ClickHouseExecutor, ExecutorPool, archive_labels, complaint_text

__all__ = ["LabelAccepted", "LabelIn", "router"]

log = logging.getLogger(__name__)

ComplaintId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="The complaint's id.")
]
Labeller = Annotated[Principal, Depends(require("labels.write"))]


router = APIRouter(prefix="/api/v1/complaints", tags=["labels"])


class LabelIn(BaseModel):
    """A reviewer's tag for one dimension of a complaint (a correction or a confirmation)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    dimension: str = Field(min_length=1, max_length=64, description="Taxonomy dimension, e.g. `cause`.")
    tag: str = Field(min_length=1, max_length=64, description="A tag of that dimension, e.g. `fees_pricing`.")
    who: str | None = Field(
        None, min_length=1, max_length=128, description="Who labelled it (default: the token's name)."
    )


class StoredText(NamedTuple):
    text: str | None
    exists: bool


class LabelAccepted(BaseModel):
    label_id: str
    complaint_id: str
    dimension: str
    tag: str
    who: str
    labelled_at: float


def _stored_text(executor: ClickHouseExecutor, complaint_id: str, *, regulator_only: bool) -> StoredText:
    """The complaint's text as the caller may label it, and whether the complaint is stored at all."""
    text = complaint_text(executor, complaint_id, regulator_only=regulator_only)
    if text is None and regulator_only:
        return StoredText(None, complaint_text(executor, complaint_id) is not None)
    return StoredText(text, text is not None)


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
    producer: ProducerDep,
    taxonomy: TaxonomyDep,
    principal: Labeller,
    pool: ClickHouseDep,
    audit: AuditDep,
) -> LabelAccepted:
    """Accept a label; 202 once the broker has it. The model learns it within seconds."""
    try:
        taxonomy.check_label(body.dimension, body.tag)
    except UnknownLabelError as exc:
        raise RequestValidationError(
            [{"loc": ["body", exc.field], "type": f"unknown_{exc.field}", "msg": str(exc)}]
        ) from None
    stored = await run_query(
        pool,
        _stored_text,
        complaint_id,
        regulator_only=principal.regulator_only,
        unavailable="ClickHouse (looking the complaint up)",
    )
    if stored.text is None and stored.exists:
        raise forbidden(
            "role 'regulator_desk' may label only regulator-forwarded complaints;"
            f" {complaint_id!r} is not one"
        )
    text = stored.text
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
        await producer.send(LABELS, label.model_dump_json().encode(), key=complaint_id.encode())
    except BrokerUnavailable as exc:
        raise broker_unavailable(exc, "the label") from exc
    await _archive(pool, label)
    detail = {"label_id": label.label_id, "dimension": label.dimension, "tag": label.tag, "who": label.who}
    await audit(principal, "label.create", complaint_id, detail)
    return LabelAccepted(**label.model_dump(exclude={"text"}))


async def _archive(pool: ExecutorPool, label: LabelEvent) -> None:
    """Record the accepted label in ClickHouse for the review queue; a failure only logs."""
    archived = ArchivedLabel(**label.model_dump(exclude={"text"}))  # the text stays in ``complaints``
    try:
        await asyncio.to_thread(pool.run, archive_labels, [archived])
    except Exception as exc:
        log.warning(
            "label %s of %s accepted but not archived (%r): it stays in the review queue",
            label.label_id,
            label.complaint_id,
            exc,
        )
