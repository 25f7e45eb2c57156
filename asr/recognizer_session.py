"""One call's streaming recognizer: audio in, a vosk-server reply out for every frame.

A session wraps one ``KaldiRecognizer`` (about 3 MB) over the shared model. Every ``accept`` answers
with a partial result, or with a final result when Vosk detects an endpoint (a pause); ``finish``
flushes what is left at the end of the call. Word timings are always computed (they are stored),
and dropped from the reply only when the client asked for ``words: false``.

Not thread-safe: a session must be used by one thread at a time (calls are processed in order),
while different sessions run in parallel threads (Vosk releases the GIL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from asr.audio_format import SAMPLE_WIDTH
from asr.model_cache import import_vosk, missing_words
from asr.recognizer_pool import PooledRecognizer, RecognizerPool

__all__ = ["RecognizerSession", "Reply", "Speaker", "Utterance", "Word", "parse_result"]

#: Who said an utterance: one side of a two-channel call, or both voices of a mono one.
Speaker = Literal["customer", "agent", "mixed"]

#: The out-of-grammar token; added to a phrase list when the model knows it.
UNKNOWN_WORD = "[unk]"


@dataclass(frozen=True, slots=True)
class Word:
    """A recognized word; times in seconds from the start of the call's audio."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True, slots=True)
class Utterance:
    """A final result: the words between two endpoints, and who said them."""

    text: str
    words: tuple[Word, ...]
    speaker: Speaker = "mixed"

    @property
    def start(self) -> float:
        return self.words[0].start if self.words else 0.0

    @property
    def end(self) -> float:
        return self.words[-1].end if self.words else 0.0

    @property
    def confidence(self) -> float:
        """Mean word confidence (0 when Vosk gave none, e.g. with alternatives)."""
        return sum(w.conf for w in self.words) / len(self.words) if self.words else 0.0


@dataclass(frozen=True, slots=True)
class Reply:
    """What one frame produced: the text frame to send, and the recognized text (a two-channel
    frame can end an utterance on each channel)."""

    kind: Literal["partial", "result"]
    message: str
    partial: str = ""
    utterances: tuple[Utterance, ...] = ()

    @property
    def utterance(self) -> Utterance | None:
        """The first utterance the frame ended, if any."""
        return self.utterances[0] if self.utterances else None


def parse_result(raw: str) -> Utterance | None:
    """The utterance in a Vosk result (plain or with alternatives), None when no word was heard.

    Examples
    --------
    >>> word = '{"conf": 0.5, "end": 1.0, "start": 0.5, "word": "카드"}'
    >>> u = parse_result('{"result": [' + word + '], "text": "카드"}')
    >>> u.text, u.start, u.end, u.confidence
    ('카드', 0.5, 1.0, 0.5)
    >>> parse_result('{"text": ""}') is None
    True
    """
    data = json.loads(raw)
    if "alternatives" in data:
        alternatives = data["alternatives"]
        if not alternatives:
            return None
        data = alternatives[0]
    text = str(data.get("text", "")).strip()
    if not text:
        return None
    words = tuple(
        Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("conf", 0.0)))
        for w in data.get("result", ())
    )
    return Utterance(text, words)


class RecognizerSession:
    """A streaming recognizer for one call.

    Parameters
    ----------
    model
        The shared ``vosk.Model`` (see :func:`asr.load_model`).
    sample_rate
        Rate of the PCM s16le mono audio that :meth:`accept` gets.
    words
        Keep word timings in the replies (``config.words``; they are computed either way).
    max_alternatives
        Ask Vosk for N-best results (``config.max_alternatives``; 0 = a single result).
    phrases
        Grammar mode (``config.phrase_list``): only these words and phrases can be recognized, which
        makes keyword spotting reliable. Words the model does not know are left out
        (:attr:`missing_words`), as Vosk itself does; when none is known, the call goes on and
        hears nothing, as on vosk-server (Vosk builds the recognizer all the same).
    partial_words
        Word timings in partial results too (Vosk's ``SetPartialWords``: ``partial_result``).
    pool
        Where to take a warm recognizer from, and give it back to at :meth:`close` (calls without
        a grammar only). Times in the replies are from the start of this call all the same.
    """

    def __init__(
        self,
        model: Any,
        sample_rate: int,
        *,
        words: bool = True,
        max_alternatives: int = 0,
        phrases: Sequence[str] | None = None,
        partial_words: bool = False,
        pool: RecognizerPool | None = None,
    ) -> None:
        vosk = import_vosk()
        self.sample_rate = sample_rate
        self.words = words
        self.max_alternatives = max_alternatives
        self.missing_words: list[str] = []
        self.audio_bytes = 0
        self._pool = pool
        self._lent: PooledRecognizer | None = None
        self._finished = False
        if phrases:
            grammar = json.dumps(self._grammar(model, phrases), ensure_ascii=False)
            self._recognizer = vosk.KaldiRecognizer(model, sample_rate, grammar)
        elif pool is not None:
            self._lent = pool.acquire(sample_rate)
            self._recognizer = self._lent.recognizer
        else:
            self._recognizer = vosk.KaldiRecognizer(model, sample_rate)
        self._offset_s = self._lent.offset_s if self._lent else 0.0
        self._recognizer.SetWords(True)
        self._recognizer.SetMaxAlternatives(max_alternatives)
        self._recognizer.SetPartialWords(partial_words)

    @property
    def warm_start(self) -> bool:
        """Whether the recognizer served other calls before (cheaper first seconds)."""
        return self._offset_s > 0

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio accepted so far."""
        return self.audio_bytes / (SAMPLE_WIDTH * self.sample_rate)

    def accept(self, pcm: bytes) -> Reply:
        """Feed one frame; the reply is a result at an endpoint, else the partial so far."""
        self.audio_bytes += len(pcm)
        if self._recognizer.AcceptWaveform(pcm):
            return self._result(self._recognizer.Result())
        raw = self._recognizer.PartialResult()
        return Reply("partial", raw, partial=str(json.loads(raw).get("partial", "")))

    def finish(self) -> Reply:
        """The final result for the audio since the last endpoint (the answer to eof)."""
        self._finished = True
        return self._result(self._recognizer.FinalResult())

    def reset(self) -> Reply:
        """The result for the audio since the last endpoint; the call goes on (``{"reset": 1}``)."""
        return self._result(self._recognizer.FinalResult())

    def close(self) -> None:
        """Give a pooled recognizer back (only after :meth:`finish`); the session is done."""
        if self._lent is not None and self._pool is not None and self._finished:
            self._pool.release(self._lent, audio_s=self.audio_seconds)
        self._lent = None

    def _result(self, raw: str) -> Reply:
        if self._offset_s:
            raw = _shift_times(raw, self._offset_s)
        utterance = parse_result(raw)
        message = raw
        if not self.words:
            # The client did not ask for word timings: answer like vosk-server without SetWords.
            message = _without_words(raw, utterance)
        return Reply("result", message, utterances=(utterance,) if utterance is not None else ())

    def _grammar(self, model: Any, phrases: Sequence[str]) -> list[str]:
        words = [word for phrase in phrases for word in phrase.split()]
        self.missing_words = missing_words(model, words)
        unknown = set(self.missing_words)
        grammar = []
        for phrase in phrases:
            kept = " ".join(word for word in phrase.split() if word not in unknown)
            if kept and kept not in grammar:
                grammar.append(kept)
        if not grammar:
            # Vosk drops every word and recognizes nothing; an empty list it cannot parse at all.
            return list(phrases)
        if not missing_words(model, [UNKNOWN_WORD]):
            grammar.append(UNKNOWN_WORD)
        return grammar


def _without_words(raw: str, utterance: Utterance | None) -> str:
    """A result as Vosk gives it without word timings: ``text`` alone, or alternatives without
    their ``result`` lists.

    >>> _without_words('{"alternatives": [{"confidence": 1.0, "result": [], "text": ""}]}', None)
    '{"alternatives": [{"confidence": 1.0, "text": ""}]}'
    """
    data = json.loads(raw)
    if "alternatives" not in data:
        return json.dumps({"text": utterance.text if utterance else ""}, ensure_ascii=False)
    for alternative in data["alternatives"]:
        alternative.pop("result", None)
    return json.dumps(data, ensure_ascii=False)


def _shift_times(raw: str, offset_s: float) -> str:
    """A Vosk result with its word times moved back by ``offset_s`` (a reused recognizer's past).

    >>> _shift_times('{"result": [{"start": 12.5, "end": 13.0, "word": "네"}], "text": "네"}', 10.0)
    '{"result": [{"start": 2.5, "end": 3.0, "word": "네"}], "text": "네"}'
    """
    data = json.loads(raw)
    lists = [data.get("result", ())] + [a.get("result", ()) for a in data.get("alternatives", ())]
    if not any(lists):
        return raw
    for words in lists:
        for word in words:
            word["start"] = round(max(0.0, word["start"] - offset_s), 6)
            word["end"] = round(max(0.0, word["end"] - offset_s), 6)
    return json.dumps(data, ensure_ascii=False)
