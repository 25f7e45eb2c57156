from __future__ import annotations

import pytest

from alerts import tumbling_window_start, window_end


@pytest.mark.parametrize(
    ("ts", "window", "start"),
    [
        (0.0, 60, 0),
        (59.999999, 60, 0),
        (60.0, 60, 60),  # a boundary belongs to the window that starts there
        (60.000001, 60, 60),
        (119.99999999999999, 60, 60),  # ts / 60 rounds to 2.0 in floating point; the floor must not
        (1_700_000_000.0, 300, 1_700_000_100 - 300),
        (1_700_000_100.0, 300, 1_700_000_100),
        (1_700_000_399.999, 300, 1_700_000_100),
        (86_399.5, 86_400, 0),
        (-0.001, 60, -60),
        (7, 1, 7),
    ],
)
def test_window_start(ts: float, window: int, start: int) -> None:
    assert tumbling_window_start(ts, window) == start


def test_windows_are_half_open_and_contiguous() -> None:
    window = 300
    for ts in (1_700_000_000.0, 1_700_000_100.0, 1_700_000_399.999, 1_700_000_400.0):
        start = tumbling_window_start(ts, window)
        assert start <= ts < window_end(start, window)
        assert start % window == 0
        assert isinstance(start, int)


@pytest.mark.parametrize("window", [0, -60])
def test_non_positive_window_is_rejected(window: int) -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        tumbling_window_start(10.0, window)
