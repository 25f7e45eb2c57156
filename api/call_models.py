"""Pydantic models at the edge of the call endpoints: metadata in (query parameters or the
``config`` message), call views out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from api.customer_refs import hash_customer_ref
from config.settings import Settings
from events.call_records import CallMetadata

__all__ = [
    "CallDetail",
    "CallList",
    "CallMetadataIn",
    "CallMetadataQuery",
    "CallSummary",
    "RecordingAccepted",
    "UtteranceOut",
    "WordOut",
    "call_detail_from_redis",
    "call_detail_from_rows",
    "call_summary_from_redis",
    "call_summary_from_row",
    "metadata_error",
]

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class CallMetadataIn(BaseModel):
    """Call metadata from query parameters or the ``config`` message (the latter wins)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    line: ShortText | None = Field(None, description="Hotline line or queue.")
    branch: ShortText | None = None
    caller_ref: LongText | None = Field(
        None,
        validation_alias=AliasChoices("caller_ref", "customer_ref"),
        description="Caller's number or customer id; only a keyed hash is kept.",
    )
    regulator_forwarded: bool = False
    regulator_ref: LongText | None = None

    def to_metadata(self, settings: Settings) -> CallMetadata:
        key = settings.pii_hash_key.get_secret_value().encode() if settings.pii_hash_key else None
        return CallMetadata(
            line=self.line,
            branch=self.branch,
            customer_ref_hash=hash_customer_ref(self.caller_ref, key) if self.caller_ref else None,
            regulator_forwarded=self.regulator_forwarded,
            regulator_ref=self.regulator_ref,
        )


def _metadata_query(
    line: Annotated[str | None, Query(max_length=64)] = None,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    caller_ref: Annotated[
        str | None, Query(max_length=128, description="Only its keyed hash is kept.")
    ] = None,
    regulator_forwarded: bool = False,
    regulator_ref: Annotated[str | None, Query(max_length=128)] = None,
) -> dict[str, Any]:
    return {
        "line": line,
        "branch": branch,
        "caller_ref": caller_ref,
        "regulator_forwarded": regulator_forwarded,
        "regulator_ref": regulator_ref,
    }


#: The call's metadata as query parameters, unvalidated (:class:`CallMetadataIn` validates them,
#: after a websocket's ``config`` message may have added its own).
CallMetadataQuery = Annotated[dict[str, Any], Depends(_metadata_query)]


def metadata_error(exc: ValidationError) -> str:
    """``field: message`` of the first problem, for a protocol error or a 422."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "metadata"
    return f"{where}: {first['msg']}"


class WordOut(BaseModel):
    word: str
    start: float
    end: float
    conf: float


class UtteranceOut(BaseModel):
    index: int
    text: str
    speaker: Literal["customer", "agent", "mixed"] = Field(
        "mixed", description="customer/agent on two-channel calls; mixed: both voices of a mono call."
    )
    start_s: float = Field(description="Seconds from the start of the call's audio.")
    end_s: float
    confidence: float
    risk: float
    risk_level: str
    risk_terms: list[str]
    words: list[WordOut]


class CallSummary(BaseModel):
    call_id: str
    status: Literal["live", "ended"]
    source: str
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    line: str | None = None
    branch: str | None = None
    regulator_forwarded: bool = False
    regulator_ref: str | None = None
    sample_rate: int
    audio_seconds: float
    utterance_count: int
    max_risk: float
    partial: str = Field("", description="Words of the utterance in progress (live calls).")
    duration_s: float | None = Field(None, description="Length of an uploaded recording.")
    progress: float | None = Field(
        None, description="Share of an uploaded recording transcribed so far (1.0 once ended)."
    )


class CallDetail(CallSummary):
    transcript: str
    utterances: list[UtteranceOut]


class CallList(BaseModel):
    calls: list[CallSummary]


class RecordingAccepted(BaseModel):
    call_id: str
    sample_rate: int
    duration_s: float
    status_url: str


def _moment(epoch: Any) -> datetime | None:
    return datetime.fromtimestamp(float(epoch), tz=UTC) if epoch else None


def call_summary_from_redis(state: dict[str, Any]) -> CallSummary:
    meta = state.get("metadata") or {}
    ended = state.get("status") == "ended"
    return CallSummary(
        call_id=state["call_id"],
        status="ended" if ended else "live",
        source=state.get("source", "live"),
        started_at=_moment(state.get("started_at")) or datetime.now(UTC),
        ended_at=_moment(state.get("ended_at")) if ended else None,
        end_reason=state.get("end_reason") if ended else None,
        line=meta.get("line"),
        branch=meta.get("branch"),
        regulator_forwarded=bool(meta.get("regulator_forwarded")),
        regulator_ref=meta.get("regulator_ref"),
        sample_rate=int(state.get("sample_rate", 0)),
        audio_seconds=float(state.get("audio_seconds", 0.0)),
        utterance_count=int(state.get("utterances", 0)),
        max_risk=float(state.get("max_risk", 0.0)),
        partial=state.get("partial", "") or "",
        **_upload_progress(state, ended),
    )


def _upload_progress(state: dict[str, Any], ended: bool) -> dict[str, float]:
    """``duration_s`` and ``progress`` of an uploaded recording (nothing for a live call)."""
    duration = float(state.get("duration_s") or 0.0)
    if state.get("source") != "upload" or duration <= 0:
        return {}
    done = 1.0 if ended else min(1.0, float(state.get("audio_seconds") or 0.0) / duration)
    return {"duration_s": round(duration, 3), "progress": round(done, 4)}


def call_detail_from_redis(state: dict[str, Any], utterances: list[dict[str, Any]]) -> CallDetail:
    summary = call_summary_from_redis(state)
    items = [
        UtteranceOut(
            index=u["index"],
            text=u["text"],
            speaker=u.get("speaker", "mixed"),
            start_s=u["start_s"],
            end_s=u["end_s"],
            confidence=u["confidence"],
            risk=u["risk"],
            risk_level=u["risk_level"],
            risk_terms=list(u.get("risk_terms", ())),
            words=[WordOut(**w) for w in u.get("words", ())],
        )
        for u in utterances
    ]
    return CallDetail(
        **{**summary.model_dump(), "utterance_count": len(items)},
        transcript=" ".join(u.text for u in items),
        utterances=items,
    )


def call_summary_from_row(call: dict[str, Any]) -> CallSummary:
    """An ended call as stored in ClickHouse (``calls`` row)."""
    return CallSummary(
        call_id=call["call_id"],
        status="ended",
        source=call["source"],
        started_at=call["started_at"],
        ended_at=call["ended_at"],
        end_reason=call["end_reason"],
        line=call["line"] or None,
        branch=call["branch"] or None,
        regulator_forwarded=call["regulator_forwarded"],
        regulator_ref=call["regulator_ref"] or None,
        sample_rate=call["sample_rate"],
        audio_seconds=call["audio_seconds"],
        utterance_count=call["utterance_count"],
        max_risk=call["max_risk"],
        **({"duration_s": call["audio_seconds"], "progress": 1.0} if call["source"] == "upload" else {}),
    )


def call_detail_from_rows(call: dict[str, Any], utterances: list[dict[str, Any]]) -> CallDetail:
    return CallDetail(
        **call_summary_from_row(call).model_dump(),
        transcript=call["transcript"],
        utterances=[
            UtteranceOut(
                index=u["seq"],
                text=u["text"],
                speaker=u.get("speaker") or "mixed",
                start_s=u["start_s"],
                end_s=u["end_s"],
                confidence=u["confidence"],
                risk=u["risk"],
                risk_level=u["risk_level"],
                risk_terms=list(u["risk_terms"]),
                words=[WordOut(**w) for w in u["word_list"]],
            )
            for u in utterances
        ],
    )
