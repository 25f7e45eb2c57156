"""Ingest of text complaints from every channel (web, app, WeChat, e-mail, branch, regulator)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator

from api.auth import require
from api.customer_refs import hash_customer_ref
from api.deps import ProducerDep, RateLimiterDep, RedactorDep, SettingsDep
from api.event_producer import BrokerUnavailable, broker_unavailable
from config.settings import Settings
from events.complaint_records import encode_complaint_records
from events.records import Channel, ComplaintEvent
from events.topic_names import COMPLAINTS_IN
from privacy import PiiRedactor

__all__ = ["ComplaintAccepted", "ComplaintIn", "router"]

router = APIRouter(
    prefix="/api/v1/complaints", tags=["complaints"], dependencies=[Depends(require("ingest"))]
)

#: Most complaints one batch request may carry.
MAX_BATCH = 1000

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
EventId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


#: C0 control characters other than tab, newline and carriage return. A regex scans in C: the
#: per-character check in Python was ~30% of the API's CPU under `bench pipeline` (py-spy).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ComplaintIn(BaseModel):
    """A complaint as a channel system submits it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: EventId | None = Field(
        None, description="Your id for this complaint; a retry with the same id is stored once."
    )
    text: str = Field(min_length=1, description="The complaint text (length limit: HOTLINE_MAX_TEXT_CHARS).")
    channel: Channel
    branch: ShortText | None = None
    line: ShortText | None = Field(None, description="Hotline line or queue.")
    product_hint: Annotated[str, StringConstraints(max_length=128)] | None = None
    customer_ref: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        None, description="Customer number or phone; only a keyed hash is kept."
    )
    regulator_forwarded: StrictBool = False  # 0/"yes" are not answers to "forwarded by the regulator?"
    regulator_ref: Annotated[str, StringConstraints(max_length=128)] | None = None

    @field_validator("text")
    @classmethod
    def _no_control_characters(cls, text: str) -> str:
        if _CONTROL_CHARACTER.search(text):
            raise ValueError("must not contain control characters")
        return text


class ComplaintBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    complaints: list[ComplaintIn] = Field(min_length=1, max_length=MAX_BATCH)


class ComplaintAccepted(BaseModel):
    id: str
    received_at: float


class BatchAccepted(BaseModel):
    accepted: list[ComplaintAccepted]


def _to_event(
    c: ComplaintIn, settings: Settings, redactor: PiiRedactor, received_at: float, index: int
) -> ComplaintEvent:
    """The complaint as produced: personal data in its text replaced by typed placeholders."""
    if len(c.text) > settings.max_text_chars:
        where = ["body", "text"] if index < 0 else ["body", "complaints", index, "text"]
        raise RequestValidationError(
            [
                {
                    "loc": where,
                    "type": "string_too_long",
                    "msg": f"text is {len(c.text)} characters; at most {settings.max_text_chars} allowed",
                }
            ]
        )
    key = settings.pii_hash_key.get_secret_value().encode() if settings.pii_hash_key else None
    return ComplaintEvent(
        event_id=c.id or uuid.uuid4().hex,
        text=redactor.redact(c.text).text,
        channel=c.channel,
        branch=c.branch,
        line=c.line,
        product_hint=c.product_hint,
        customer_ref_hash=hash_customer_ref(c.customer_ref, key) if c.customer_ref else None,
        regulator_forwarded=c.regulator_forwarded,
        regulator_ref=c.regulator_ref,
        received_at=received_at,
    )


async def _produce(
    request: Request, producer: ProducerDep, limiter: RateLimiterDep, events: list[ComplaintEvent]
) -> None:
    """Within the caller's rate limit (429), to ``complaints.in`` as batch records (503: broker down)."""
    principal = request.state.principal
    if not await limiter.allow(principal.token_id, len(events)):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"token {principal.token_id} is over its ingest limit of "
            f"{limiter.per_s} complaints/s; nothing was accepted, retry shortly",
            headers={"Retry-After": "1"},
        )
    try:
        await producer.send_many(COMPLAINTS_IN, encode_complaint_records(events))
    except BrokerUnavailable as exc:
        raise broker_unavailable(exc) from exc


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ComplaintAccepted)
async def submit_complaint(
    body: ComplaintIn,
    request: Request,
    settings: SettingsDep,
    producer: ProducerDep,
    limiter: RateLimiterDep,
    redactor: RedactorDep,
) -> ComplaintAccepted:
    """Accept one complaint; 202 once the broker has it, 503 (nothing accepted) when it is down."""
    event = _to_event(body, settings, redactor, time.time(), -1)
    await _produce(request, producer, limiter, [event])
    return ComplaintAccepted(id=event.event_id, received_at=event.received_at)


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, response_model=BatchAccepted)
async def submit_complaints(
    body: ComplaintBatchIn,
    request: Request,
    settings: SettingsDep,
    producer: ProducerDep,
    limiter: RateLimiterDep,
    redactor: RedactorDep,
) -> BatchAccepted:
    """Accept up to 1,000 complaints at once (ticket systems forwarding a backlog)."""
    now = time.time()
    events = [_to_event(c, settings, redactor, now, i) for i, c in enumerate(body.complaints)]
    await _produce(request, producer, limiter, events)
    return BatchAccepted(accepted=[ComplaintAccepted(id=e.event_id, received_at=now) for e in events])
