"""Event schemas of the call topics (live transcription, issue 4).

Pydantic models like ``events.records``, so the API produces them without Faust and a poison
record is dead-lettered by one strict validation step. Audio travels base64-encoded in JSON.

- ``calls.audio`` / ``calls.recorded`` (key = call id): :class:`CallAudio`, one per websocket frame
  (live) or per second of an uploaded recording, in order per call.
- ``calls.utterances`` (key = call id): :class:`UtteranceEvent`, every final utterance with its
  escalation risk, as soon as it is recognized.
- ``calls.ended`` (key = call id): :class:`CallEnded`, one per call, with the whole transcript.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "CALL_ID_PATTERN",
    "CallAudio",
    "CallEnded",
    "CallId",
    "CallMetadata",
    "CallSource",
    "EndReason",
    "RecognizerOptions",
    "UtteranceEvent",
    "WordTiming",
    "complaint_id_for_call",
]

#: Call ids come from telephony systems (channel ids, UUIDs): short and URL-safe.
CALL_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,48}$"
CallId = Annotated[str, StringConstraints(pattern=CALL_ID_PATTERN)]
CallSource = Literal["live", "upload"]
EndReason = Literal["eof", "idle", "upload"]
Short = Annotated[str, StringConstraints(max_length=64)]


def complaint_id_for_call(call_id: str) -> str:
    """Event id of the complaint a call becomes: fixed per call, so a retried end is stored once.

    >>> complaint_id_for_call("c-1")
    'call-c-1'
    """
    return f"call-{call_id}"


class _CallEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_bytes="base64", val_json_bytes="base64")


class CallMetadata(_CallEvent):
    """What the telephony side tells us about a call (the caller's reference only as a keyed hash)."""

    line: Short | None = Field(None, description="Hotline line or queue.")
    branch: Short | None = None
    customer_ref_hash: Short | None = None
    regulator_forwarded: bool = False
    regulator_ref: Annotated[str, StringConstraints(max_length=128)] | None = None


class RecognizerOptions(_CallEvent):
    """The recognizer a call asked for in its ``config`` message."""

    sample_rate: int = Field(gt=0)
    words: bool = True
    max_alternatives: int = Field(0, ge=0, le=1000)  # the API holds calls to its configured cap
    phrase_list: tuple[str, ...] | None = None
    partial_words: bool = False
    #: 2: interleaved stereo, one speaker per channel; ``customer_channel`` is the caller's.
    channels: Literal[1, 2] = 1
    customer_channel: Literal[0, 1] = 0


class CallAudio(_CallEvent):
    """One step of a call, on ``calls.audio`` (live) or ``calls.recorded`` (upload), keyed by call id.

    ``start`` opens the call (with its options and metadata), ``audio`` carries PCM s16le (mono, or
    interleaved two-channel when the options say so),
    ``reset`` asks for the result so far (the call goes on), ``eof`` ends it. ``connection`` and
    ``seq`` identify the websocket connection and its frame, so each reply reaches the connection
    that sent the frame.
    """

    call_id: CallId
    kind: Literal["start", "audio", "reset", "eof"]
    connection: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=0)
    sample_rate: int = Field(gt=0)
    pcm: bytes = b""
    sent_at: float = Field(gt=0, description="Epoch seconds when the API produced it.")
    source: CallSource = "live"
    options: RecognizerOptions | None = None
    metadata: CallMetadata | None = None
    started_at: float | None = None


class WordTiming(_CallEvent):
    word: str
    start: float
    end: float
    conf: float


class UtteranceEvent(_CallEvent):
    """A final utterance, scored for escalation risk, on ``calls.utterances`` keyed by call id."""

    utterance_id: str = Field(description="`<call_id>:<index>`: unique per call and position.")
    call_id: CallId
    index: int = Field(ge=0, description="Position in the call, from 0.")
    text: str = Field(description="The utterance written as a sentence (asr.as_sentence).")
    speaker: Literal["customer", "agent", "mixed"] = Field(
        "mixed", description="customer/agent on two-channel calls; mixed: both voices of a mono call."
    )
    words: tuple[WordTiming, ...] = ()
    start_s: float = Field(description="Seconds from the start of the call's audio.")
    end_s: float
    confidence: float
    risk: float = Field(ge=0.0, le=1.0)
    risk_level: Literal["none", "low", "medium", "high"]
    risk_terms: tuple[str, ...] = ()
    source: CallSource = "live"
    metadata: CallMetadata = CallMetadata()
    call_started_at: float
    recognized_at: float


class CallEnded(_CallEvent):
    """A call that ended, with its whole transcript, on ``calls.ended`` keyed by call id."""

    call_id: CallId
    source: CallSource
    started_at: float
    ended_at: float
    end_reason: EndReason
    metadata: CallMetadata = CallMetadata()
    sample_rate: int
    audio_seconds: float = Field(ge=0.0)
    utterances: int = Field(ge=0)
    max_risk: float = Field(ge=0.0, le=1.0)
    transcript: str
    complaint_event_id: str | None = Field(None, description="The `voice` complaint it became, if any.")
