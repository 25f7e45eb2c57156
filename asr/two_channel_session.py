"""A two-channel call: the customer on one channel, the agent on the other, a recognizer each.

Recorders and Asterisk's MixMonitor/AudioSocket setups keep caller and agent apart; transcribing
each channel alone gives every utterance its speaker, so escalation risk is scored on what the
customer says and agent rules on what the agent says. The session answers like a
:class:`~asr.recognizer_session.RecognizerSession` (one reply per frame), its message holding both
channels: ``{"channels": [{"speaker": "customer", "partial": ...}, {"speaker": "agent", ...}]}``.

Examples
--------
>>> from asr.recognizer_session import Reply, Utterance
>>> merge_replies({"customer": Reply("partial", '{"partial": "my card"}', partial="my card"),
...                "agent": Reply("result", '{"text": "hello"}', utterances=(Utterance("hello", ()),))}).kind
'result'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Literal

from asr.audio_format import split_channels
from asr.recognizer_session import RecognizerSession, Reply

__all__ = ["SPEAKER_CHANNELS", "TwoChannelSession", "merge_replies"]

#: Which channel is the customer's: 0 (left, the usual recorder and MixMonitor layout) or 1.
SPEAKER_CHANNELS: dict[int, tuple[Literal["customer", "agent"], Literal["customer", "agent"]]] = {
    0: ("customer", "agent"),
    1: ("agent", "customer"),
}


def merge_replies(replies: Mapping[str, Reply]) -> Reply:
    """One reply for a frame from each channel's: a result when either channel ended an utterance.

    The partial kept for the live view is the customer's (the agent's when the customer is silent).
    """
    utterances = tuple(
        replace(u, speaker=speaker)  # type: ignore[arg-type]  # keys are "customer" and "agent"
        for speaker, reply in replies.items()
        for u in reply.utterances
    )
    channels = [{"speaker": speaker, **json.loads(reply.message)} for speaker, reply in replies.items()]
    partial = replies["customer"].partial or replies["agent"].partial
    return Reply(
        "result" if utterances else "partial",
        json.dumps({"channels": channels}, ensure_ascii=False),
        partial=partial,
        utterances=utterances,
    )


class TwoChannelSession:
    """Streaming recognition of interleaved two-channel PCM s16le, one session per speaker.

    ``make_session`` builds a mono :class:`RecognizerSession` (same options for both channels);
    ``customer_channel`` says which channel is the customer's.
    """

    def __init__(self, make_session: Callable[[], RecognizerSession], *, customer_channel: int = 0) -> None:
        if customer_channel not in SPEAKER_CHANNELS:
            raise ValueError(f"customer_channel must be 0 or 1, not {customer_channel!r}")
        self._order = SPEAKER_CHANNELS[customer_channel]
        self.sessions: dict[str, RecognizerSession] = {speaker: make_session() for speaker in self._order}

    @property
    def sample_rate(self) -> int:
        return self.sessions["customer"].sample_rate

    @property
    def audio_seconds(self) -> float:
        """Seconds of the call's audio (both channels run side by side)."""
        return self.sessions["customer"].audio_seconds

    @property
    def warm_start(self) -> bool:
        return any(s.warm_start for s in self.sessions.values())

    @property
    def missing_words(self) -> list[str]:
        return self.sessions["customer"].missing_words

    def accept(self, pcm: bytes) -> Reply:
        """Feed one interleaved frame to both channels' recognizers."""
        first, second = split_channels(pcm)
        return self._each(
            lambda s, part: s.accept(part), dict(zip(self._order, (first, second), strict=True))
        )

    def reset(self) -> Reply:
        return self._each(lambda s, _: s.reset())

    def finish(self) -> Reply:
        return self._each(lambda s, _: s.finish())

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()

    def _each(
        self, step: Callable[[RecognizerSession, Any], Reply], parts: Mapping[str, bytes] | None = None
    ) -> Reply:
        # Customer first, then agent: the order the merged message lists them in.
        return merge_replies(
            {
                speaker: step(self.sessions[speaker], (parts or {}).get(speaker))
                for speaker in ("customer", "agent")
            }
        )
