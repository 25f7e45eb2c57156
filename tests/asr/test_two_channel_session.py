"""Two-channel calls on the real recognizer: each channel transcribed alone, every utterance with its
speaker, one reply per frame holding both channels, and the channel layout configurable."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asr import RecognizerSession, Reply, TwoChannelSession, frame_bytes, split_channels, split_frames
from hotline.bench.asr_speech import interleave

STEREO_FRAME = frame_bytes(8000, 0.2, channels=2)


def _run(model: Any, pcm: bytes, customer_channel: int = 0) -> list[Reply]:
    session = TwoChannelSession(lambda: RecognizerSession(model, 8000), customer_channel=customer_channel)
    replies = [session.accept(frame) for frame in split_frames(pcm, STEREO_FRAME)]
    replies.append(session.finish())
    session.close()
    return replies


@pytest.fixture(scope="module")
def left_speaks(speech: bytes) -> bytes:
    """Speech on the left channel, silence on the right."""
    return interleave(speech, bytes(len(speech)))


def test_one_reply_per_frame_with_both_channels(model: Any, left_speaks: bytes) -> None:
    replies = _run(model, left_speaks)
    assert len(replies) == len(list(split_frames(left_speaks, STEREO_FRAME))) + 1
    for reply in replies:
        channels = json.loads(reply.message)["channels"]
        assert [c["speaker"] for c in channels] == ["customer", "agent"]
        assert (reply.kind == "result") == bool(reply.utterances)


def test_each_utterance_is_its_channels_speaker(model: Any, left_speaks: bytes, speech: bytes) -> None:
    heard = [u for r in _run(model, left_speaks) for u in r.utterances]
    assert heard and {u.speaker for u in heard} == {"customer"}  # the silent agent says nothing
    swapped = [u for r in _run(model, left_speaks, customer_channel=1) for u in r.utterances]
    assert [u.text for u in swapped] == [u.text for u in heard]
    assert {u.speaker for u in swapped} == {"agent"}
    # The channel alone is recognised exactly as the same audio in a mono call.
    mono = RecognizerSession(model, 8000)
    alone = [u.text for f in split_frames(speech, frame_bytes(8000, 0.2)) for u in mono.accept(f).utterances]
    alone += [u.text for u in mono.finish().utterances]
    assert [u.text for u in heard] == alone


def test_both_speakers_in_one_call_keep_their_times(model: Any, speech: bytes) -> None:
    half = len(speech) // 2 - (len(speech) // 2) % 2
    customer, agent = speech[:half], speech[half:]
    conversation = interleave(customer + bytes(len(agent)), bytes(len(customer)) + agent)
    heard = [u for r in _run(model, conversation) for u in r.utterances]
    by_speaker = {s: [u for u in heard if u.speaker == s] for s in ("customer", "agent")}
    assert by_speaker["customer"] and by_speaker["agent"], heard
    # The agent answers after the customer: times are the call's, per channel.
    assert min(u.start for u in by_speaker["agent"]) >= max(u.end for u in by_speaker["customer"]) - 0.5


def test_the_layout_is_checked() -> None:
    with pytest.raises(ValueError, match="customer_channel"):
        TwoChannelSession(
            lambda: None,  # type: ignore[arg-type, return-value]  # dummy factory: the layout fails first
            customer_channel=2,
        )
    assert split_channels(interleave(b"\x01\x00", b"\x02\x00")) == (b"\x01\x00", b"\x02\x00")
