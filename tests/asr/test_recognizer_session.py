"""A call's recognizer on real speech: reply per frame, partials then finals at pauses, timings,
flush at the end, grammar mode, and calls in parallel threads that never mix."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import pytest

from asr import RecognizerPool, RecognizerSession, Reply, frame_bytes, split_frames
from hotline.bench.asr_speech import synthesize_speech

FRAME = frame_bytes(8000, 0.2)  # what vosk-server clients send


def _run(model: Any, pcm: bytes, **options: Any) -> list[Reply]:
    session = RecognizerSession(model, 8000, **options)
    replies = [session.accept(frame) for frame in split_frames(pcm, FRAME)]
    return [*replies, session.finish()]


def _texts(replies: list[Reply]) -> list[str]:
    return [r.utterance.text for r in replies if r.kind == "result" and r.utterance is not None]


@pytest.fixture(scope="module")
def replies(model: Any, speech: bytes) -> list[Reply]:
    """The session's replies to the four sentences, frame by frame, then the answer to eof."""
    return _run(model, speech)


def test_one_reply_per_frame_partials_before_finals_at_pauses(replies: list[Reply], speech: bytes) -> None:
    frames = len(list(split_frames(speech, FRAME)))
    assert len(replies) == frames + 1  # one per frame, plus the answer to eof
    for reply in replies:
        message = json.loads(reply.message)
        assert ("partial" in message) == (reply.kind == "partial")
        assert reply.kind == "partial" or "text" in message
    results = [i for i, r in enumerate(replies[:-1]) if r.kind == "result" and r.utterance is not None]
    assert results, "four sentences with pauses should give endpoints before the end"
    first = results[0]
    assert any(r.kind == "partial" and r.partial for r in replies[:first]), "no partial before a final"
    # A final comes after its words were spoken: its end time is within the audio fed so far.
    for index in results:
        utterance = replies[index].utterance
        assert utterance is not None and utterance.end <= (index + 1) * 0.2 + 1e-6


def test_word_timings_increase_across_the_call(replies: list[Reply], speech: bytes) -> None:
    utterances = [r.utterance for r in replies if r.utterance is not None]
    words = [w for u in utterances for w in u.words]
    assert len(words) >= 5
    assert all(w.start <= w.end for w in words)
    assert all(a.start <= b.start for a, b in pairwise(words))
    assert all(0.0 <= w.conf <= 1.0 for w in words)
    assert utterances[-1].end <= len(speech) / 16000 + 1e-6


def test_eof_flushes_the_words_after_the_last_pause(model: Any) -> None:
    # No trailing silence: without the flush the last words would be lost.
    pcm = synthesize_speech(["인터넷 뱅킹 비밀번호를 잊어버렸습니다"], pause_s=0.0)
    replies = _run(model, pcm)
    assert not _texts(replies[:-1]), "no endpoint expected before the end of the audio"
    final = replies[-1]
    assert final.kind == "result" and final.utterance is not None and final.utterance.text
    assert json.loads(final.message)["text"] == final.utterance.text


def test_dither_free_view_gives_repeatable_text(model: Any, speech: bytes, replies: list[Reply]) -> None:
    assert _texts(_run(model, speech)) == _texts(replies)


def test_grammar_mode_finds_keywords_free_mode_misses(model: Any) -> None:
    keywords = ["금융감독원", "환불", "카드", "상담원", "민원"]
    pcm = synthesize_speech(["금융감독원", "환불", "카드", "상담원"])
    spotted = {w for text in _texts(_run(model, pcm, phrases=keywords)) for w in text.split()}
    assert spotted <= set(keywords), "grammar mode may only produce its phrases"
    assert spotted & {"금융감독원", "환불", "카드", "상담원"}, spotted
    free = {w for text in _texts(_run(model, pcm)) for w in text.split()}
    assert len(free & set(keywords)) < len(spotted & set(keywords))


def test_grammar_words_missing_from_the_vocabulary(model: Any) -> None:
    session = RecognizerSession(model, 8000, phrases=["환불 xyzzyq", "카드"])
    assert session.missing_words == ["xyzzyq"]
    # None known (an English client's digits on the Korean model): the call goes on, hearing nothing.
    unknown = RecognizerSession(model, 8000, phrases=["zero one two", "three"])
    assert unknown.missing_words == ["zero", "one", "two", "three"]
    replies = [unknown.accept(frame) for frame in split_frames(synthesize_speech(["카드 환불"]), FRAME)]
    replies.append(unknown.finish())
    assert replies and all(not (r.utterance or r.partial) for r in replies)


def test_words_false_and_alternatives_shape_the_messages(model: Any) -> None:
    pcm = synthesize_speech(["상담원 연결해 주세요 너무 화가 납니다"], pause_s=0.0)
    plain = [json.loads(r.message) for r in _run(model, pcm, words=False) if r.kind == "result"]
    assert plain and all(set(m) == {"text"} for m in plain)
    assert plain[-1]["text"]
    nbest = [r for r in _run(model, pcm, max_alternatives=3) if r.kind == "result"]
    assert all("alternatives" in json.loads(r.message) for r in nbest)
    assert nbest[-1].utterance is not None and nbest[-1].utterance.words
    # As vosk-server's test_alternatives.py asks (20), without word timings: no "result" lists.
    bare = [json.loads(r.message) for r in _run(model, pcm, max_alternatives=20, words=False)]
    alternatives = [a for m in bare if "alternatives" in m for a in m["alternatives"]]
    assert alternatives and all("result" not in a and "text" in a for a in alternatives)
    partials = [json.loads(r.message) for r in _run(model, pcm, partial_words=True) if r.kind == "partial"]
    worded = [m for m in partials if m["partial"]]
    assert worded and all(m["partial_result"] for m in worded)
    assert all("partial_result" not in json.loads(r.message) for r in _run(model, pcm) if r.kind == "partial")


def test_reset_answers_the_result_so_far_and_the_call_goes_on(model: Any) -> None:
    first = synthesize_speech(["상담원 연결해 주세요"], pause_s=0.0)
    second = synthesize_speech(["너무 화가 납니다"], pause_s=0.0)
    session = RecognizerSession(model, 8000)
    for frame in split_frames(first, FRAME):
        session.accept(frame)
    reset = session.reset()
    assert reset.kind == "result" and reset.utterance is not None and "text" in json.loads(reset.message)
    later = [session.accept(frame) for frame in split_frames(second, FRAME)] + [session.finish()]
    heard = [r.utterance for r in later if r.utterance is not None]
    assert heard, "nothing recognised after the reset"
    assert heard[0].start >= reset.utterance.end  # times go on from the call's start


def test_parallel_calls_in_threads_never_mix(model: Any, speech: bytes) -> None:
    # Three calls at once: free speech, the same speech under a keyword grammar, and silence. Audio
    # or state crossing between them would put words into the silent call, or non-grammar words
    # into the grammar call.
    keywords = ["환불", "상담원", "카드"]
    half = speech[: len(speech) // 4 * 2]
    jobs = [(half, None), (half, keywords), (bytes(len(half)), None)]
    with ThreadPoolExecutor(3) as pool:
        free, spotted, silent = pool.map(lambda job: _texts(_run(model, job[0], phrases=job[1])), jobs)
    assert free and not silent
    assert {w for text in spotted for w in text.split()} <= set(keywords)
    assert {w for text in free for w in text.split()} - set(keywords)


def test_audio_seconds_counts_what_was_fed(model: Any) -> None:
    session = RecognizerSession(model, 16000)
    session.accept(bytes(6400))
    session.accept(bytes(3200))
    assert session.audio_seconds == pytest.approx(0.3)


def test_a_pooled_recognizer_serves_the_next_call_with_call_relative_times(model: Any, speech: bytes) -> None:
    pool = RecognizerPool(model, max_idle=1)
    first = RecognizerSession(model, 8000, pool=pool)
    for frame in split_frames(speech, FRAME):
        first.accept(frame)
    first.finish()
    first.close()
    assert (pool.created, pool.idle) == (1, 1)

    second = RecognizerSession(model, 8000, pool=pool)
    assert (pool.reused, pool.idle) == (1, 0)
    replies = [second.accept(frame) for frame in split_frames(speech, FRAME)] + [second.finish()]
    words = [w for r in replies if r.utterance is not None for w in r.utterance.words]
    assert words and words[0].start < 3.0  # from the start of this call, not of the recognizer
    assert words[-1].end <= len(speech) / 16000 + 1e-6
    for reply in replies:
        for word in json.loads(reply.message).get("result", []):
            assert 0.0 <= word["start"] <= len(speech) / 16000
    second.close()

    grammar = RecognizerSession(model, 8000, pool=pool, phrases=["환불"])
    grammar.finish()
    grammar.close()
    assert (pool.idle, pool.reused, pool.created) == (1, 1, 1)  # grammar calls don't use the pool
    unfinished = RecognizerSession(model, 8000, pool=pool)
    unfinished.accept(bytes(3200))
    unfinished.close()  # not finished: never handed to another call mid-utterance
    assert (pool.idle, pool.reused) == (0, 2)
    RecognizerSession(model, 16000, pool=pool)
    assert pool.created == 2  # recognizers are per sample rate


def test_pool_retires_old_recognizers_and_keeps_at_most_max_idle(model: Any) -> None:
    pool = RecognizerPool(model, max_idle=1, max_lifetime_s=10.0)
    a, b = pool.acquire(8000), pool.acquire(8000)
    assert pool.release(a, audio_s=5.0) is True
    assert pool.release(b, audio_s=5.0) is False  # the pool is full
    again = pool.acquire(8000)
    assert again is a and again.offset_s == 5.0
    assert pool.release(again, audio_s=6.0) is False  # 11 s of audio: retired
    assert pool.idle == 0
