"""Korean speech made on the spot with espeak-ng and sox (Debian packages), for benchmarks and tests.

espeak-ng's Korean voice is recognised poorly by the Korean Vosk model (character error rate around
85 %), so what this speech is good for is load and behaviour (partials, endpoints at the pauses,
timings), not accuracy.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Sequence

import numpy as np

__all__ = ["KOREAN_SENTENCES", "interleave", "speech_tools_missing", "synthesize_speech", "wav_bytes"]

#: Things a caller says on a bank's complaint line (some carry escalation key phrases).
KOREAN_SENTENCES: tuple[str, ...] = (
    "안녕하세요 카드가 아직 도착하지 않았습니다",
    "제 계좌에서 돈이 빠져나갔어요 환불해 주세요",
    "금융감독원에 민원을 넣겠습니다",
    "상담원 연결해 주세요 너무 화가 납니다",
    "대출 이자가 갑자기 올랐어요",
    "인터넷 뱅킹 비밀번호를 잊어버렸습니다",
)
_TIMEOUT_S = 60


def speech_tools_missing() -> list[str]:
    """The programs (espeak-ng, sox) that are not installed."""
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def synthesize_speech(
    sentences: Sequence[str], *, sample_rate: int = 8000, pause_s: float = 1.2, voice: str = "ko"
) -> bytes:
    """PCM s16le mono at ``sample_rate`` of ``sentences`` spoken one after another, each followed by
    ``pause_s`` of silence (so that a recognizer finds an endpoint after each)."""
    missing = speech_tools_missing()
    if missing:
        raise FileNotFoundError(
            f"not installed: {', '.join(missing)} (Debian: apt-get install espeak-ng sox)"
        )
    pcm = []
    for sentence in sentences:
        spoken = subprocess.run(
            ["espeak-ng", "-v", voice, "--stdout", sentence],
            capture_output=True,
            check=True,
            timeout=_TIMEOUT_S,
        ).stdout
        raw = subprocess.run(
            [
                "sox",
                "-t",
                "wav",
                "-",
                "-t",
                "raw",
                "-e",
                "signed-integer",
                "-b",
                "16",
                "-c",
                "1",
                "-r",
                str(sample_rate),
                "-",
                "pad",
                "0",
                f"{pause_s:g}",
            ],
            input=spoken,
            capture_output=True,
            check=True,
            timeout=_TIMEOUT_S,
        ).stdout
        pcm.append(raw)
    return b"".join(pcm)


def wav_bytes(pcm: bytes, sample_rate: int, channels: int = 1) -> bytes:
    """``pcm`` (s16le, interleaved when ``channels`` is 2) as a WAV file."""
    block = 2 * channels
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(pcm))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, 16)
        + b"data"
        + struct.pack("<I", len(pcm))
        + pcm
    )


def interleave(left: bytes, right: bytes) -> bytes:
    """Two mono PCM s16le signals as one two-channel signal (the shorter padded with silence)."""
    n = max(len(left), len(right))
    channels = [np.frombuffer(pcm.ljust(n, b"\0"), dtype="<i2") for pcm in (left, right)]
    return np.column_stack(channels).tobytes()
