"""Messages as vosk-server clients write them, and the errors and close codes for the rest."""

from __future__ import annotations

import json

import pytest

from asr import (
    MAX_PHRASES,
    ConfigMessage,
    EofMessage,
    ProtocolError,
    ResetMessage,
    close_reason,
    error_message,
    parse_binary_control,
    parse_text_message,
)


@pytest.mark.parametrize("text", ['{"eof" : 1}', '{"eof":1}', ' { "eof" : true } ', '{\n  "eof": 1\n}'])
def test_eof_whatever_the_spacing(text: str) -> None:
    assert parse_text_message(text) == EofMessage()


def test_config_as_clients_send_it() -> None:
    config = parse_text_message('{ "config" : { "sample_rate" : 8000 } }')
    assert config == ConfigMessage(sample_rate=8000.0)
    full = parse_text_message(
        json.dumps(
            {
                "config": {
                    "sample_rate": 16000.0,
                    "words": 0,
                    "max_alternatives": 2,
                    "phrase_list": [" 환불 ", "카드 분실"],
                    "branch": "sh-01",
                }
            },
            ensure_ascii=False,
        )
    )
    assert isinstance(full, ConfigMessage)
    assert (full.sample_rate, full.words, full.max_alternatives) == (16000.0, False, 2)
    assert full.phrase_list == ("환불", "카드 분실")
    assert full.extra == {"branch": "sh-01"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", 1007),
        ("[1, 2]", 1007),
        ('{"eof": 0}', 1007),
        ('{"config": 5}', 1007),
        ('{"config": {"sample_rate": "fast"}}', 1007),
        ('{"config": {"max_alternatives": 101}}', 1007),
        ('{"config": {"max_alternatives": -1}}', 1007),
        ('{"config": {"max_alternatives": 2.5}}', 1007),
        ('{"config": {"max_alternatives": true}}', 1007),
        ('{"config": {"sample_rate": "NaN"}}', 1007),
        ('{"config": {"model": 5}}', 1007),
        ('{"reset": 0}', 1007),
        ('{"config": {"phrase_list": "환불"}}', 1007),
        ('{"config": {"phrase_list": [""]}}', 1007),
        ('{"hello": 1}', 1003),
    ],
)
def test_bad_messages_get_a_close_code(text: str, code: int) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_text_message(text)
    assert caught.value.code == code
    assert caught.value.reason


def test_values_as_vosk_server_reads_them() -> None:
    # vosk-server takes float(sample_rate) and int(max_alternatives): its clients may send either.
    message = parse_text_message('{"config": {"sample_rate": "16000", "max_alternatives": 20.0}}')
    assert isinstance(message, ConfigMessage)
    assert (message.sample_rate, message.max_alternatives) == (16000.0, 20)
    assert parse_text_message('{"reset" : 1}') == ResetMessage()
    assert parse_binary_control(b'{"reset" : 1}') == ResetMessage()
    with_model = parse_text_message('{"config": {"model": "vosk-model-cn", "partial_words": 1}}')
    assert isinstance(with_model, ConfigMessage)
    assert (with_model.model, with_model.partial_words, with_model.extra) == ("vosk-model-cn", True, {})


def test_the_alternatives_cap_is_the_servers() -> None:
    text = '{"config": {"max_alternatives": 20}}'
    assert isinstance(parse_text_message(text, max_alternatives=20), ConfigMessage)
    with pytest.raises(ProtocolError) as caught:
        parse_text_message(text, max_alternatives=10)
    assert caught.value.code == 1007 and "cap of 10" in caught.value.reason


def test_too_many_phrases() -> None:
    with pytest.raises(ProtocolError):
        parse_text_message(json.dumps({"config": {"phrase_list": ["a"] * (MAX_PHRASES + 1)}}))


def test_binary_control_messages_and_audio() -> None:
    assert parse_binary_control(b'{"eof" : 1}') == EofMessage()
    assert parse_binary_control(b'{"config": {"sample_rate": 8000}}') == ConfigMessage(sample_rate=8000.0)
    assert parse_binary_control(b'{"x": 1}') is None  # JSON, but not a control message: audio
    assert parse_binary_control(b"{\x00\x01" + bytes(300)) is None
    assert parse_binary_control(bytes(3200)) is None


def test_error_message_and_close_reason() -> None:
    assert json.loads(error_message("too big", 1008)) == {"error": "too big", "code": 1008}
    assert close_reason("short") == "short"
    long = "é" * 200
    assert len(close_reason(long).encode()) <= 123
    assert long.startswith(close_reason(long))
