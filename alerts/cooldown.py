"""Cooldown: after a rule fires for a group, keep quiet for that group for a while.

Measured between window starts (event time), not wall-clock time, so a replay or a lagging
consumer suppresses exactly what a live run would. The caller keeps the last fired window start
per ``rule_id|group`` (e.g. in a stream table next to the window counts).
"""

from __future__ import annotations

__all__ = ["cooldown_allows"]


def cooldown_allows(
    cooldown_seconds: int | None, last_fired_window_start: int | None, window_start: int
) -> bool:
    """Whether an alert for the window at ``window_start`` may fire given the group's last alert.

    Windows closer than ``cooldown_seconds`` to the last fired one, before or after it (late
    events can complete an earlier window), are suppressed.

    Examples
    --------
    >>> cooldown_allows(None, 0, 60), cooldown_allows(300, None, 60)
    (True, True)
    >>> cooldown_allows(300, 0, 240), cooldown_allows(300, 0, 300), cooldown_allows(300, 600, 360)
    (False, True, False)
    """
    if cooldown_seconds is None or last_fired_window_start is None:
        return True
    return abs(window_start - last_fired_window_start) >= cooldown_seconds
