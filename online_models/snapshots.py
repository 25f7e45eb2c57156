"""Signed model snapshots: pickles that are only ever unpickled after their HMAC checks out.

Unpickling runs arbitrary code, and snapshots travel through Redis, which other processes can
write to. Every blob therefore carries an HMAC-SHA256 over its header and payload, and the tag
is compared in constant time BEFORE ``pickle.loads`` ever sees the payload.

Layout: ``MAGIC (16 bytes) | format version (1 byte) | HMAC-SHA256 (32 bytes) | pickle``.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle

__all__ = ["SNAPSHOT_FORMAT_VERSION", "SnapshotSignatureError", "dumps_signed", "loads_signed"]

_MAGIC = b"HOTLINE-SNAPSHOT"
SNAPSHOT_FORMAT_VERSION = 1
_HEADER = _MAGIC + bytes([SNAPSHOT_FORMAT_VERSION])
_TAG_BYTES = hashlib.sha256().digest_size
# Short keys make the HMAC guessable; settings should hold a random key of 32 bytes or more.
MIN_KEY_BYTES = 16


class SnapshotSignatureError(ValueError):
    """The blob is unsigned, tampered with, signed with another key, or of an unknown format."""


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray):
        raise TypeError("the signing key must be bytes")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the signing key must be at least {MIN_KEY_BYTES} bytes")


def _tag(key: bytes, header: bytes, payload: bytes) -> bytes:
    mac = hmac.new(key, header, hashlib.sha256)
    mac.update(payload)
    return mac.digest()


def dumps_signed(obj: object, key: bytes) -> bytes:
    """Pickle ``obj`` and sign it with ``key``.

    Examples
    --------
    >>> blob = dumps_signed({"weights": [1, 2]}, b"k" * 32)
    >>> loads_signed(blob, b"k" * 32)
    {'weights': [1, 2]}
    >>> try:
    ...     loads_signed(blob, b"x" * 32)
    ... except SnapshotSignatureError as exc:
    ...     print(exc)
    snapshot signature does not match the key
    """
    _check_key(key)
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER + _tag(key, _HEADER, payload) + payload


def loads_signed(blob: bytes, key: bytes) -> object:
    """Verify ``blob`` against ``key`` and only then unpickle it."""
    _check_key(key)
    blob = bytes(blob)
    if not blob.startswith(_MAGIC) or len(blob) < len(_HEADER) + _TAG_BYTES:
        raise SnapshotSignatureError("not a signed snapshot (missing header)")
    if blob[len(_MAGIC)] != SNAPSHOT_FORMAT_VERSION:
        raise SnapshotSignatureError(f"unsupported snapshot format version {blob[len(_MAGIC)]}")
    tag = blob[len(_HEADER) : len(_HEADER) + _TAG_BYTES]
    payload = blob[len(_HEADER) + _TAG_BYTES :]
    if not hmac.compare_digest(tag, _tag(key, _HEADER, payload)):
        raise SnapshotSignatureError("snapshot signature does not match the key")
    return pickle.loads(payload)
