"""Live speech recognition for hotline calls: Vosk model cache, streaming recognizer sessions, audio
checks, the vosk-server websocket message format, per-worker call limits with idle expiry, and the
escalation risk of an utterance.

Pure library: no Kafka, HTTP, Redis or settings; callers pass in what it needs. Vosk itself is an
optional dependency (``pip install '.[asr]'``), imported only when a model is loaded.
"""

from asr.audio_format import (
    SAMPLE_WIDTH,
    SUPPORTED_SAMPLE_RATES,
    AudioError,
    FrameTooLarge,
    MalformedWav,
    NotPcmAudio,
    UnsupportedSampleRate,
    WavAudio,
    check_pcm_frame,
    check_sample_rate,
    frame_bytes,
    read_wav,
    sniff_container,
    split_channels,
    split_frames,
    strip_wav_header,
)
from asr.call_sessions import CallLimitReached, CallSessions
from asr.escalation_risk import (
    DEFAULT_RISK_PHRASES,
    RISK_PHRASES_BY_LANGUAGE,
    EscalationRiskScorer,
    RiskLevel,
    RiskScore,
    risk_phrases,
)
from asr.model_cache import (
    ModelNotFoundError,
    default_model_path,
    import_vosk,
    load_model,
    missing_words,
    resolve_model_path,
)
from asr.model_language import model_language
from asr.model_view import NO_DITHER, make_model_view
from asr.recognizer_pool import PooledRecognizer, RecognizerPool
from asr.recognizer_session import RecognizerSession, Reply, Speaker, Utterance, Word, parse_result
from asr.sentences import as_sentence
from asr.two_channel_session import TwoChannelSession
from asr.vosk_protocol import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_INVALID_PAYLOAD,
    CLOSE_NORMAL,
    CLOSE_POLICY_VIOLATION,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNSUPPORTED_DATA,
    MAX_ALTERNATIVES,
    MAX_PHRASES,
    ConfigMessage,
    EofMessage,
    ProtocolError,
    ResetMessage,
    audio_error,
    close_reason,
    error_message,
    parse_binary_control,
    parse_text_message,
)

__all__ = [
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_INVALID_PAYLOAD",
    "CLOSE_NORMAL",
    "CLOSE_POLICY_VIOLATION",
    "CLOSE_TRY_AGAIN_LATER",
    "CLOSE_UNSUPPORTED_DATA",
    "DEFAULT_RISK_PHRASES",
    "MAX_ALTERNATIVES",
    "MAX_PHRASES",
    "NO_DITHER",
    "RISK_PHRASES_BY_LANGUAGE",
    "SAMPLE_WIDTH",
    "SUPPORTED_SAMPLE_RATES",
    "AudioError",
    "CallLimitReached",
    "CallSessions",
    "ConfigMessage",
    "EofMessage",
    "EscalationRiskScorer",
    "FrameTooLarge",
    "MalformedWav",
    "ModelNotFoundError",
    "NotPcmAudio",
    "PooledRecognizer",
    "ProtocolError",
    "RecognizerPool",
    "RecognizerSession",
    "Reply",
    "ResetMessage",
    "RiskLevel",
    "RiskScore",
    "Speaker",
    "TwoChannelSession",
    "UnsupportedSampleRate",
    "Utterance",
    "WavAudio",
    "Word",
    "as_sentence",
    "audio_error",
    "check_pcm_frame",
    "check_sample_rate",
    "close_reason",
    "default_model_path",
    "error_message",
    "frame_bytes",
    "import_vosk",
    "load_model",
    "make_model_view",
    "missing_words",
    "model_language",
    "parse_binary_control",
    "parse_result",
    "parse_text_message",
    "read_wav",
    "resolve_model_path",
    "risk_phrases",
    "sniff_container",
    "split_channels",
    "split_frames",
    "strip_wav_header",
]
