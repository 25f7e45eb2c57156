"""Audio checks: what a call may send us (PCM s16le at 8 or 16 kHz, mono or two-channel) and what
is refused.

Telephony connectors stream raw PCM and recorders upload WAV files. Anything else (a compressed
codec, a container, more than two channels, 8-bit or float samples, an odd rate) would be decoded by
Vosk as noise without any error, so it is refused here with a reason that names the problem. Raw
mu-law/A-law bytes carry no header and cannot be told from PCM noise; connectors must decode them
first. Two channels are one speaker each (recorders and Asterisk's MixMonitor put caller and agent
apart); :func:`split_channels` deinterleaves them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SAMPLE_WIDTH",
    "SUPPORTED_SAMPLE_RATES",
    "AudioError",
    "FrameTooLarge",
    "MalformedWav",
    "NotPcmAudio",
    "UnsupportedSampleRate",
    "WavAudio",
    "check_pcm_frame",
    "check_sample_rate",
    "frame_bytes",
    "read_wav",
    "sniff_container",
    "split_channels",
    "split_frames",
    "strip_wav_header",
]

#: Telephony (8 kHz) and wideband (16 kHz): the rates Vosk models are trained for.
SUPPORTED_SAMPLE_RATES: tuple[int, ...] = (8000, 16000)
#: Bytes per sample of PCM s16le.
SAMPLE_WIDTH = 2
#: Mono, or two channels (one speaker each).
SUPPORTED_CHANNELS = (1, 2)

_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
#: First two bytes of the sub-format GUID of WAVE_FORMAT_EXTENSIBLE for PCM.
_KSDATAFORMAT_PCM_PREFIX = b"\x01\x00"

# Leading bytes of formats a connector might send by mistake instead of raw PCM.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"OggS", "Ogg (Opus/Vorbis)"),
    (0, b"fLaC", "FLAC"),
    (0, b"ID3", "MP3 (ID3 tag)"),
    (0, b"#!AMR", "AMR"),
    (0, b"\x1aE\xdf\xa3", "WebM/Matroska"),
    (4, b"ftyp", "MP4/M4A"),
    (0, b"FORM", "AIFF"),
    (0, b".snd", "Sun/NeXT audio"),
    (0, b"caff", "Core Audio"),
    (0, b"RIFF", "WAV/RIFF"),
)


class AudioError(ValueError):
    """Audio we cannot transcribe; the message says why."""


class NotPcmAudio(AudioError):
    """Not PCM s16le mono (a codec, a container, stereo, other sample widths, odd byte counts)."""


class UnsupportedSampleRate(AudioError):
    """A sample rate other than the supported ones."""


class FrameTooLarge(AudioError):
    """One audio frame larger than the configured limit."""


class MalformedWav(AudioError):
    """A file that claims to be WAV but whose chunks do not add up."""


def check_sample_rate(rate: object, supported: Sequence[int] = SUPPORTED_SAMPLE_RATES) -> int:
    """``rate`` as an int if it is one of ``supported`` (``8000.0`` counts as 8000).

    Examples
    --------
    >>> check_sample_rate(8000.0)
    8000
    >>> check_sample_rate(44100)
    Traceback (most recent call last):
    ...
    asr.audio_format.UnsupportedSampleRate: sample rate 44100 Hz is not supported; use one of 8000, 16000 Hz
    """
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate != int(rate):
        raise UnsupportedSampleRate(f"sample rate must be a whole number of Hz, got {rate!r}")
    value = int(rate)
    if value not in supported:
        allowed = ", ".join(str(r) for r in supported)
        raise UnsupportedSampleRate(f"sample rate {value} Hz is not supported; use one of {allowed} Hz")
    return value


def sniff_container(data: bytes) -> str | None:
    """Name of the codec or container ``data`` starts with, or None for what may be raw PCM.

    Examples
    --------
    >>> sniff_container(b"OggS\\x00\\x02" + bytes(30))
    'Ogg (Opus/Vorbis)'
    >>> sniff_container(bytes(3200)) is None
    True
    """
    for offset, magic, name in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return name
    return None


def check_pcm_frame(frame: bytes, *, max_bytes: int, first: bool = False, channels: int = 1) -> None:
    """Raise unless ``frame`` can be PCM s16le: at most ``max_bytes``, whole samples (of every
    channel), and (for the ``first`` frame of a call) no codec or container header.

    Examples
    --------
    >>> check_pcm_frame(bytes(3200), max_bytes=65536, first=True)
    >>> check_pcm_frame(bytes(3201), max_bytes=65536)
    Traceback (most recent call last):
    ...
    asr.audio_format.NotPcmAudio: frame of 3201 bytes is not whole 16-bit samples: send PCM s16le mono
    """
    if len(frame) > max_bytes:
        raise FrameTooLarge(f"audio frame of {len(frame)} bytes is over the limit of {max_bytes} bytes")
    if first:
        container = sniff_container(frame)
        if container is not None:
            raise NotPcmAudio(f"audio looks like {container}, not raw PCM s16le mono")
    if len(frame) % SAMPLE_WIDTH:
        raise NotPcmAudio(f"frame of {len(frame)} bytes is not whole 16-bit samples: send PCM s16le mono")
    if len(frame) % (SAMPLE_WIDTH * channels):
        raise NotPcmAudio(f"frame of {len(frame)} bytes is not whole samples of {channels} channels")


@dataclass(frozen=True, slots=True)
class WavAudio:
    """The PCM samples of a WAV file (interleaved when two channels), their rate and channels."""

    sample_rate: int
    pcm: bytes
    channels: int = 1

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / (SAMPLE_WIDTH * self.channels * self.sample_rate)


def read_wav(data: bytes, supported: Sequence[int] = SUPPORTED_SAMPLE_RATES) -> WavAudio:
    """The samples of a PCM s16le WAV file (mono or two channels) at a supported rate; raise an
    AudioError otherwise.

    Examples
    --------
    >>> header = _wav_header(8000, channels=1, bits=16, data_bytes=4)
    >>> read_wav(header + b"\\x01\\x00\\x02\\x00")
    WavAudio(sample_rate=8000, pcm=b'\\x01\\x00\\x02\\x00', channels=1)
    >>> read_wav(_wav_header(8000, channels=2, bits=16, data_bytes=4) + bytes(4)).channels
    2
    >>> read_wav(_wav_header(8000, channels=6, bits=16, data_bytes=0))
    Traceback (most recent call last):
    ...
    asr.audio_format.NotPcmAudio: WAV has 6 channels; send mono, or two (caller and agent)
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        container = sniff_container(data)
        what = container if container and container != "WAV/RIFF" else "not a RIFF/WAVE file"
        raise NotPcmAudio(f"expected a WAV file (PCM s16le mono), got {what}")
    fmt, start, size = _fmt_and_data(data)
    if fmt is None:
        raise MalformedWav("WAV file has no fmt chunk")
    if start is None:
        raise MalformedWav("WAV file has no data chunk")
    pcm = data[start : start + size]  # a truncated last chunk (recorder killed mid-write) keeps what is there
    format_tag, channels, rate, bits = fmt
    if format_tag != _WAVE_FORMAT_PCM:
        raise NotPcmAudio(f"WAV is encoded (format tag 0x{format_tag:04x}), not PCM; send PCM s16le")
    if channels not in SUPPORTED_CHANNELS:
        raise NotPcmAudio(f"WAV has {channels} channels; send mono, or two (caller and agent)")
    if bits != 8 * SAMPLE_WIDTH:
        raise NotPcmAudio(f"WAV has {bits}-bit samples; send 16-bit PCM")
    rate = check_sample_rate(rate, supported)
    whole = len(pcm) - len(pcm) % (SAMPLE_WIDTH * channels)  # a truncated last sample is dropped
    return WavAudio(rate, bytes(pcm[:whole]), channels)


def strip_wav_header(frame: bytes, sample_rate: int, channels: int = 1) -> bytes:
    """The PCM after a WAV header some connectors send in their first frame.

    The header must declare PCM s16le at ``sample_rate`` with ``channels`` (what the call was
    configured with); the data chunk's size is ignored because a streamed header cannot know it.
    """
    if len(frame) < 12 or frame[8:12] != b"WAVE":
        raise NotPcmAudio("audio starts with a RIFF header that is not WAVE")
    fmt, start, _ = _fmt_and_data(frame)
    if fmt is None or start is None:
        raise MalformedWav("the first frame holds a WAV header without its data chunk")
    format_tag, fmt_channels, rate, bits = fmt
    if (format_tag, fmt_channels, bits) != (_WAVE_FORMAT_PCM, channels, 8 * SAMPLE_WIDTH):
        layout = "mono" if channels == 1 else f"with {channels} channels"
        raise NotPcmAudio(f"WAV header does not declare PCM s16le {layout} (the call's config)")
    if rate != sample_rate:
        raise UnsupportedSampleRate(
            f"WAV header says {rate} Hz but the call was configured for {sample_rate} Hz"
        )
    return frame[start:]


def frame_bytes(sample_rate: int, seconds: float, channels: int = 1) -> int:
    """Bytes of PCM s16le for ``seconds`` at ``sample_rate`` (whole samples of every channel).

    >>> frame_bytes(8000, 0.2), frame_bytes(8000, 0.2, channels=2)
    (3200, 6400)
    """
    return max(1, round(sample_rate * seconds)) * SAMPLE_WIDTH * channels


def split_channels(pcm: bytes) -> tuple[bytes, bytes]:
    """The two channels of interleaved two-channel PCM s16le, each as mono PCM.

    >>> split_channels(b"\\x01\\x00\\x02\\x00\\x03\\x00\\x04\\x00")
    (b'\\x01\\x00\\x03\\x00', b'\\x02\\x00\\x04\\x00')
    """
    samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, 2)
    return samples[:, 0].tobytes(), samples[:, 1].tobytes()


def split_frames(pcm: bytes, size: int) -> Iterator[bytes]:
    """``pcm`` in frames of ``size`` bytes (the last one shorter).

    >>> [len(f) for f in split_frames(bytes(10), 4)]
    [4, 4, 2]
    """
    if size < SAMPLE_WIDTH or size % SAMPLE_WIDTH:
        raise ValueError(f"frame size must be a positive multiple of {SAMPLE_WIDTH} bytes")
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]


def _fmt_and_data(data: bytes) -> tuple[tuple[int, int, int, int] | None, int | None, int]:
    """The fmt chunk's ``(format tag, channels, rate, bits)``, and where the data chunk starts and its
    declared size, walking the RIFF chunks after ``WAVE`` (None for a chunk not found).

    Hand-written rather than the stdlib ``wave``: on Python 3.11 it refuses WAVE_FORMAT_EXTENSIBLE PCM
    (what many recorders write) and its errors do not say what is wrong with the file.
    """
    fmt: tuple[int, int, int, int] | None = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        if chunk_id == b"data":
            if fmt is None:
                raise MalformedWav("WAV data chunk comes before its fmt chunk")
            return fmt, offset + 8, size
        if chunk_id == b"fmt ":
            fmt = _read_fmt(data[offset + 8 : offset + 8 + size])
        offset += 8 + size + (size & 1)  # chunks are padded to an even size
    return fmt, None, 0


def _read_fmt(body: bytes) -> tuple[int, int, int, int]:
    if len(body) < 16:
        raise MalformedWav(f"WAV fmt chunk is {len(body)} bytes; at least 16 expected")
    format_tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
    # WAVE_FORMAT_EXTENSIBLE: cbSize, valid bits, channel mask, then a sub-format GUID whose first
    # bytes say PCM.
    if format_tag == _WAVE_FORMAT_EXTENSIBLE and body[24:26] == _KSDATAFORMAT_PCM_PREFIX:
        format_tag = _WAVE_FORMAT_PCM
    return format_tag, channels, rate, bits


def _wav_header(rate: int, *, channels: int, bits: int, data_bytes: int) -> bytes:
    """A canonical 44-byte WAV header (used by the examples and tests)."""
    block = channels * bits // 8
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, _WAVE_FORMAT_PCM, channels, rate, rate * block, block, bits)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
