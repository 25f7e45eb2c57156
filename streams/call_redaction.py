"""Personal data out of what a call produces, before it is published, stored or replied.

A caller reads out a card or a mobile number; the recognizer writes it down. Every reply (its
``text``/``partial``, alternatives, both channels of a two-channel call) and every utterance is
redacted with :class:`privacy.PiiRedactor` in the worker, before Redis, Kafka or ClickHouse see
it. Where something was found, the word list next to that text is dropped: its words would spell
the number out again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from asr import Reply
from privacy import PiiRedactor

__all__ = ["redacted_reply"]

_TEXTS = ("text", "partial")
_WORD_LISTS = ("result", "partial_result")
_NESTED = ("alternatives", "channels")


def redacted_reply(reply: Reply, redactor: PiiRedactor) -> Reply:
    """``reply`` with personal data replaced in its message, its partial and its utterances.

    >>> from asr import Utterance, Word
    >>> redactor = PiiRedactor(b"0123456789abcdef")
    >>> said = "我的手机 13800138000"
    >>> r = redacted_reply(Reply("result", json.dumps({"text": said, "result": []}, ensure_ascii=False),
    ...                          utterances=(Utterance(said, (Word("13800138000", 1.0, 2.0, 0.9),)),)),
    ...                    redactor)
    >>> json.loads(r.message), r.utterances[0].text, r.utterances[0].words
    ({'text': '我的手机 [PHONE:…8000]'}, '我的手机 [PHONE:…8000]', ())
    """
    message = json.loads(reply.message)
    if not _redact_in_place(message, redactor):
        return reply  # nothing personal in the texts: the reply as Vosk gave it
    utterances = []
    for u in reply.utterances:
        redacted = redactor.redact(u.text)
        utterances.append(replace(u, text=redacted.text, words=()) if redacted.found else u)
    partial = redactor.redact(reply.partial).text if reply.partial else reply.partial
    return replace(
        reply,
        message=json.dumps(message, ensure_ascii=False),
        partial=partial,
        utterances=tuple(utterances),
    )


def _redact_in_place(message: dict[str, Any], redactor: PiiRedactor) -> bool:
    """Redact ``message``'s texts (and nested alternatives/channels); whether anything was found."""
    found = False
    for key in _TEXTS:
        value = message.get(key)
        if isinstance(value, str) and value:
            redacted = redactor.redact(value)
            if redacted.found:
                message[key] = redacted.text
                for words in _WORD_LISTS:
                    message.pop(words, None)
                found = True
    for key in _NESTED:
        for item in message.get(key) or ():
            if isinstance(item, dict):
                found = _redact_in_place(item, redactor) or found
    return found
