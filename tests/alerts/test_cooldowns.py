from __future__ import annotations

import pytest

from alerts import cooldown_allows


@pytest.mark.parametrize(
    ("cooldown", "last", "start", "allowed"),
    [
        (None, 0, 0, True),
        (300, None, 0, True),
        (300, 0, 60, False),
        (300, 0, 299, False),
        (300, 0, 300, True),
        (300, 600, 360, False),  # a late event completing an earlier window is suppressed too
        (300, 600, 300, True),
    ],
)
def test_cooldown(cooldown: int | None, last: int | None, start: int, allowed: bool) -> None:
    assert cooldown_allows(cooldown, last, start) is allowed
