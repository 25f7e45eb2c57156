"""Window arithmetic on event time (epoch seconds).

Windows are aligned to the Unix epoch, so every worker (and a replay) puts an event in the same
window without coordinating; day-long windows therefore start at midnight UTC.
"""

from __future__ import annotations

__all__ = ["sliding_window_starts", "tumbling_window_start", "window_end"]


def tumbling_window_start(ts: float, window_seconds: int) -> int:
    """Start (inclusive) of the tumbling window of ``window_seconds`` that holds ``ts``.

    Windows are half-open, ``[start, start + window_seconds)``: an event exactly on a boundary
    belongs to the window that starts there.

    Examples
    --------
    >>> tumbling_window_start(119.999, 60), tumbling_window_start(120.0, 60), tumbling_window_start(120.5, 60)
    (60, 120, 120)
    >>> tumbling_window_start(-0.5, 60)
    -60
    """
    if window_seconds <= 0:
        raise ValueError(f"window_seconds must be > 0, got {window_seconds}")
    # ``//`` on floats is an exact floor (no rounding of ts / window_seconds up to the next window).
    return int(ts // window_seconds) * window_seconds


def window_end(window_start: int, window_seconds: int) -> int:
    """End (exclusive) of the window starting at ``window_start``.

    Examples
    --------
    >>> window_end(120, 60)
    180
    """
    return window_start + window_seconds


def sliding_window_starts(ts: float, window_seconds: int, hop_seconds: int) -> tuple[int, ...]:
    """Starts of every sliding window (length ``window_seconds``, one starting every ``hop_seconds``)
    that holds ``ts``, oldest first.

    Examples
    --------
    >>> sliding_window_starts(125.0, 180, 60)
    (0, 60, 120)
    >>> sliding_window_starts(120.0, 180, 60)
    (0, 60, 120)
    >>> sliding_window_starts(180.0, 180, 60)
    (60, 120, 180)
    """
    if hop_seconds <= 0 or window_seconds % hop_seconds:
        raise ValueError(f"hop_seconds must be > 0 and divide window_seconds, got {hop_seconds}")
    last = tumbling_window_start(ts, hop_seconds)
    return tuple(range(last - window_seconds + hop_seconds, last + 1, hop_seconds))
