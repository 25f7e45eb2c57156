"""What audio a call may send: PCM s16le mono at 8/16 kHz, whole samples, no codec or container."""

from __future__ import annotations

import struct

import pytest

from asr import (
    FrameTooLarge,
    MalformedWav,
    NotPcmAudio,
    UnsupportedSampleRate,
    audio_error,
    check_pcm_frame,
    check_sample_rate,
    read_wav,
    split_frames,
    strip_wav_header,
)
from hotline.bench.asr_speech import wav_bytes


def _extensible_wav(rate: int, pcm: bytes, *, subformat: bytes) -> bytes:
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, rate, rate * 2, 2, 16, 22, 16, 4) + subformat + bytes(14)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("rate", [8000, 16000, 8000.0])
def test_supported_rates(rate: float) -> None:
    assert check_sample_rate(rate) == int(rate)


@pytest.mark.parametrize("rate", [44100, 11025, 0, -8000, 8000.5, "8000", True, None])
def test_unsupported_rates(rate: object) -> None:
    with pytest.raises(UnsupportedSampleRate):
        check_sample_rate(rate)


def test_wav_roundtrip_and_rate() -> None:
    pcm = bytes(range(200)) * 8
    wav = read_wav(wav_bytes(pcm, 16000))
    assert (wav.sample_rate, wav.pcm) == (16000, pcm)
    assert wav.duration_s == pytest.approx(len(pcm) / 32000)


def test_wav_extensible_pcm_is_accepted_and_float_is_not() -> None:
    pcm = bytes(64)
    assert read_wav(_extensible_wav(8000, pcm, subformat=b"\x01\x00")).pcm == pcm
    with pytest.raises(NotPcmAudio, match="format tag"):
        read_wav(_extensible_wav(8000, pcm, subformat=b"\x03\x00"))


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda w: w[:22] + struct.pack("<H", 6) + w[24:], NotPcmAudio, "channels"),
        (lambda w: w[:34] + struct.pack("<H", 8) + w[36:], NotPcmAudio, "8-bit"),
        (lambda w: w[:24] + struct.pack("<I", 44100) + w[28:], UnsupportedSampleRate, "44100"),
        (lambda w: w[:20] + struct.pack("<H", 0x55) + w[22:], NotPcmAudio, "encoded"),
        (lambda w: w[:36], MalformedWav, "no data chunk"),
        (lambda w: w[:12], MalformedWav, "no fmt chunk"),
        (lambda w: b"OggS" + w[4:], NotPcmAudio, "Ogg"),
        (lambda w: b"not a wav file at all", NotPcmAudio, "RIFF"),
    ],
)
def test_bad_wav_files_say_what_is_wrong(mutate, error, match) -> None:
    wav = wav_bytes(bytes(400), 8000)
    with pytest.raises(error, match=match):
        read_wav(mutate(wav))


def test_truncated_data_chunk_keeps_whole_samples() -> None:
    wav = wav_bytes(bytes(400), 8000)
    assert len(read_wav(wav[:-101]).pcm) == 298


def test_pcm_frames() -> None:
    check_pcm_frame(bytes(3200), max_bytes=3200, first=True)
    with pytest.raises(FrameTooLarge):
        check_pcm_frame(bytes(3202), max_bytes=3200)
    with pytest.raises(NotPcmAudio, match="16-bit"):
        check_pcm_frame(bytes(333), max_bytes=3200)
    for magic in (b"OggS", b"fLaC", b"ID3\x04", b"#!AMR\n", b"\x1aE\xdf\xa3", b"\x00\x00\x00\x18ftypM4A "):
        with pytest.raises(NotPcmAudio):
            check_pcm_frame(magic + bytes(100 - len(magic)), max_bytes=3200, first=True)
        check_pcm_frame(magic + bytes(100 - len(magic)), max_bytes=3200, first=False)  # mid-call: samples


def test_error_codes() -> None:
    assert audio_error(FrameTooLarge("x")).code == 1008
    assert audio_error(NotPcmAudio("x")).code == 1003
    assert audio_error(UnsupportedSampleRate("x")).code == 1003


def test_streamed_wav_header_is_stripped_if_it_matches() -> None:
    pcm = bytes(range(100)) * 2
    assert strip_wav_header(wav_bytes(pcm, 8000), 8000) == pcm
    with pytest.raises(UnsupportedSampleRate):
        strip_wav_header(wav_bytes(pcm, 16000), 8000)
    stereo = wav_bytes(pcm, 8000)
    stereo = stereo[:22] + struct.pack("<H", 2) + stereo[24:]
    with pytest.raises(NotPcmAudio):
        strip_wav_header(stereo, 8000)


def test_split_frames_rejects_half_samples() -> None:
    with pytest.raises(ValueError):
        list(split_frames(bytes(10), 3))


def test_two_channel_wav_and_frames_are_taken_whole() -> None:
    from asr import check_pcm_frame, frame_bytes, read_wav, strip_wav_header
    from hotline.bench.asr_speech import interleave

    stereo = interleave(bytes(range(0, 200, 2)) * 4, bytes(800))
    wav = read_wav(wav_bytes(stereo + b"\x01\x02", 8000, channels=2))  # a torn last sample is dropped
    assert (wav.channels, wav.pcm, wav.duration_s) == (2, stereo, len(stereo) / 32000)
    check_pcm_frame(bytes(frame_bytes(8000, 0.2, channels=2)), max_bytes=65536, channels=2)
    with pytest.raises(NotPcmAudio, match="2 channels"):
        check_pcm_frame(bytes(6402), max_bytes=65536, channels=2)
    header = wav_bytes(b"", 8000, channels=2)
    assert strip_wav_header(header + stereo, 8000, channels=2) == stereo
    with pytest.raises(NotPcmAudio, match="mono"):
        strip_wav_header(header + stereo, 8000)  # the call was configured mono
