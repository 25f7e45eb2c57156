"""The vosk-server websocket protocol, as its own clients (alphacep/vosk-server) speak it.

A client sends, in this order:

1. optionally a text frame ``{"config": {"sample_rate": 8000, "words": 1, "max_alternatives": 0,
   "phrase_list": ["..."], "model": "..."}}`` (``partial_words`` as in Vosk's API; any other key
   of ``config`` is passed on as ``extra``);
2. binary frames of PCM s16le mono (typically 0.2 s each), each answered by exactly one text frame,
   ``{"partial": "..."}`` or a result ``{"result": [...], "text": "..."}`` (``{"alternatives":
   [...]}`` with ``max_alternatives``);
   Our extension for two-channel calls: ``"channels": 2`` (interleaved stereo, caller and agent
   apart) and ``"customer_channel": 0|1`` (which one is the caller; default the server's setting);
   each reply then holds both channels (``asr.two_channel_session``);
3. optionally ``{"reset" : 1}`` between frames: answered by the result so far, and the call goes on;
4. the text frame ``{"eof" : 1}``, answered by the final result, after which the server closes.

Values are read as vosk-server reads them (``float(sample_rate)``, ``int(max_alternatives)``), so a
client written against it is not refused over ``"16000"`` or ``20.0``. Clients write the eof with
varying whitespace, so messages are parsed as JSON, never compared as strings. Errors are our
addition: ``{"error": "...", "code": 1008}`` followed by a close frame with that code (1003
unsupported data, 1007 invalid payload, 1008 policy violation, 1013 try again later).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asr.audio_format import AudioError, FrameTooLarge

__all__ = [
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_INVALID_PAYLOAD",
    "CLOSE_NORMAL",
    "CLOSE_POLICY_VIOLATION",
    "CLOSE_TRY_AGAIN_LATER",
    "CLOSE_UNSUPPORTED_DATA",
    "MAX_ALTERNATIVES",
    "MAX_PHRASES",
    "ConfigMessage",
    "EofMessage",
    "ProtocolError",
    "ResetMessage",
    "audio_error",
    "close_reason",
    "error_message",
    "parse_binary_control",
    "parse_text_message",
]

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_POLICY_VIOLATION = 1008
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013

#: vosk-server passes max_alternatives to Kaldi unchecked; the default cap of what a client may ask
#: (each alternative is one more path read off the lattice at every result). Servers set their own.
MAX_ALTERNATIVES = 100
#: Phrases one grammar may hold: a keyword spotter's list, not a language model.
MAX_PHRASES = 1000
_MAX_PHRASE_CHARS = 200
#: Close reasons travel in a control frame, which holds at most 123 bytes of text.
_MAX_REASON_BYTES = 123
#: Binary frames longer than this are never taken for JSON control messages.
_MAX_CONTROL_BYTES = 1 << 16


class ProtocolError(Exception):
    """A message the protocol does not allow; ``code`` is the websocket close code to use."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ConfigMessage:
    """The ``config`` message; None means "not given, keep the default"."""

    sample_rate: float | None = None
    words: bool | None = None
    max_alternatives: int | None = None
    phrase_list: tuple[str, ...] | None = None
    partial_words: bool | None = None
    model: str | None = None
    channels: int | None = None
    customer_channel: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EofMessage:
    """The end of the call's audio: answer with the final result, then close."""


@dataclass(frozen=True, slots=True)
class ResetMessage:
    """Answer with the result of the audio since the last one and go on (a new utterance starts)."""


ControlMessage = ConfigMessage | EofMessage | ResetMessage


def parse_text_message(text: str, *, max_alternatives: int = MAX_ALTERNATIVES) -> ControlMessage:
    """A client's text frame as a config, reset or eof message; ProtocolError for anything else.

    ``max_alternatives`` is the most N-best alternatives a client may ask for.

    Examples
    --------
    >>> parse_text_message('{"eof" : 1}'), parse_text_message('{"reset" : 1}')
    (EofMessage(), ResetMessage())
    >>> parse_text_message('{ "config" : { "sample_rate" : 8000 } }').sample_rate
    8000.0
    >>> parse_text_message('{"config": {"max_alternatives": 20, "sample_rate": "16000"}}').max_alternatives
    20
    >>> parse_text_message('{"config": {"phrase_list": ["카드 분실", "환불"], "line": "L1"}}').extra
    {'line': 'L1'}
    >>> parse_text_message("hello")
    Traceback (most recent call last):
    ...
    asr.vosk_protocol.ProtocolError: text frame is not JSON: send {"config": {...}} or {"eof": 1}
    """
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError(
            CLOSE_INVALID_PAYLOAD, 'text frame is not JSON: send {"config": {...}} or {"eof": 1}'
        ) from None
    if not isinstance(message, dict):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, "text frame must be a JSON object")
    for key, kind in (("eof", EofMessage), ("reset", ResetMessage)):
        if key in message:
            if message[key] in (1, True):
                return kind()
            raise ProtocolError(CLOSE_INVALID_PAYLOAD, f'{key} must be {{"{key}": 1}}')
    if "config" in message:
        return _parse_config(message["config"], max_alternatives)
    keys = ", ".join(sorted(message)) or "none"
    raise ProtocolError(
        CLOSE_UNSUPPORTED_DATA, f"unknown message (keys: {keys}); expected config, reset or eof"
    )


def parse_binary_control(frame: bytes, *, max_alternatives: int = MAX_ALTERNATIVES) -> ControlMessage | None:
    """A config, reset or eof message some clients send as a binary frame, else None (audio).

    Only a frame that is a whole JSON object with a ``config``, ``reset`` or ``eof`` key counts, so
    PCM that happens to start with ``{`` stays audio.

    >>> parse_binary_control(b'{"eof" : 1}')
    EofMessage()
    >>> parse_binary_control(b"{" + bytes(99)) is None
    True
    """
    if not frame.startswith(b"{") or len(frame) > _MAX_CONTROL_BYTES:
        return None
    try:
        message = json.loads(frame.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(message, dict) or not ({"config", "eof", "reset"} & message.keys()):
        return None
    return parse_text_message(frame.decode("utf-8"), max_alternatives=max_alternatives)


def _number(value: object, name: str) -> float:
    """``float(value)`` as vosk-server takes it (numbers and numeric strings), finite."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, f"config.{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, f"config.{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, f"config.{name} must be a finite number")
    return number


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | int):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, f"config.{name} must be true/false or 1/0")
    return bool(value)


def _parse_config(config: object, max_alternatives: int) -> ConfigMessage:
    if not isinstance(config, dict):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, "config must be a JSON object")
    rate = config.get("sample_rate")
    words = config.get("words")
    partial_words = config.get("partial_words")
    alternatives = config.get("max_alternatives")
    if alternatives is not None:
        number = _number(alternatives, "max_alternatives")
        if number != int(number) or number < 0:
            raise ProtocolError(
                CLOSE_INVALID_PAYLOAD,
                f"config.max_alternatives must be a whole number >= 0, not {alternatives!r}",
            )
        alternatives = int(number)
        if alternatives > max_alternatives:
            raise ProtocolError(
                CLOSE_INVALID_PAYLOAD,
                f"config.max_alternatives {alternatives} is above this server's cap of {max_alternatives}",
            )
    model = config.get("model")
    if model is not None and (not isinstance(model, str) or not 0 < len(model) <= _MAX_PHRASE_CHARS):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, "config.model must be a model name")
    phrases = config.get("phrase_list")
    if phrases is not None:
        if (
            not isinstance(phrases, list)
            or not all(isinstance(p, str) and 0 < len(p.strip()) <= _MAX_PHRASE_CHARS for p in phrases)
            or len(phrases) > MAX_PHRASES
        ):
            raise ProtocolError(
                CLOSE_INVALID_PAYLOAD,
                f"config.phrase_list must be a list of at most {MAX_PHRASES} non-empty strings "
                f"of at most {_MAX_PHRASE_CHARS} characters",
            )
        phrases = tuple(p.strip() for p in phrases)
    channels = _choice(config.get("channels"), "channels", (1, 2))
    customer_channel = _choice(config.get("customer_channel"), "customer_channel", (0, 1))
    known = {
        "sample_rate",
        "words",
        "max_alternatives",
        "phrase_list",
        "partial_words",
        "model",
        "channels",
        "customer_channel",
    }
    return ConfigMessage(
        sample_rate=_number(rate, "sample_rate") if rate is not None else None,
        words=_flag(words, "words") if words is not None else None,
        max_alternatives=alternatives,
        phrase_list=phrases,
        partial_words=_flag(partial_words, "partial_words") if partial_words is not None else None,
        model=model,
        channels=channels,
        customer_channel=customer_channel,
        extra={k: v for k, v in config.items() if k not in known},
    )


def _choice(value: object, name: str, allowed: tuple[int, ...]) -> int | None:
    """A small whole number from ``allowed`` (read like vosk-server reads numbers), or None."""
    if value is None:
        return None
    number = _number(value, name)
    if number not in allowed:
        choices = " or ".join(str(a) for a in allowed)
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, f"config.{name} must be {choices}, not {value!r}")
    return int(number)


def audio_error(exc: AudioError) -> ProtocolError:
    """The protocol error for refused audio: 1008 for an oversized frame, 1003 otherwise."""
    code = CLOSE_POLICY_VIOLATION if isinstance(exc, FrameTooLarge) else CLOSE_UNSUPPORTED_DATA
    return ProtocolError(code, str(exc))


def error_message(reason: str, code: int) -> str:
    """The text frame sent before closing with ``code``.

    >>> error_message("frame too large", 1008)
    '{"error": "frame too large", "code": 1008}'
    """
    return json.dumps({"error": reason, "code": code}, ensure_ascii=False)


def close_reason(reason: str) -> str:
    """``reason`` cut to what a close frame holds (123 bytes of UTF-8, whole characters).

    >>> len(close_reason("가" * 100).encode())
    123
    """
    encoded = reason.encode("utf-8")
    if len(encoded) <= _MAX_REASON_BYTES:
        return reason
    return encoded[:_MAX_REASON_BYTES].decode("utf-8", "ignore")
