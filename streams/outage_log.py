"""Readable logs through an outage: a task retried every second logs its failures sparsely.

A timer that retries each tick would write one warning per tick for as long as ClickHouse or Redis
is down. :class:`OutageLog` writes the 1st, 2nd, 4th, 8th, ... consecutive failure at WARNING (the
others at DEBUG) and one INFO line when the task works again.
"""

from __future__ import annotations

import logging
import time

__all__ = ["OutageLog"]


class OutageLog:
    """Log the failures of one repeatedly retried task, sparsely.

    Examples
    --------
    >>> outage = OutageLog("archive", logging.getLogger("doctest"))
    >>> [outage.failed(RuntimeError("down")) for _ in range(5)]
    [True, True, False, True, False]
    >>> outage.failures
    5
    >>> outage.recovered()
    True
    >>> outage.recovered()  # nothing to report when it was not failing
    False
    """

    def __init__(self, what: str, logger: logging.Logger) -> None:
        self.what = what
        self.logger = logger
        self.failures = 0
        self._since = 0.0

    def failed(self, exc: BaseException) -> bool:
        """Count a failure; True when this one was logged at WARNING."""
        self.failures += 1
        if self.failures == 1:
            self._since = time.monotonic()
        loud = self.failures & (self.failures - 1) == 0  # 1, 2, 4, 8, ...
        self.logger.log(
            logging.WARNING if loud else logging.DEBUG,
            "%s failed (%d time(s) in a row, will retry): %r",
            self.what,
            self.failures,
            exc,
        )
        return loud

    def recovered(self) -> bool:
        """Report the end of a run of failures; True when there was one."""
        if not self.failures:
            return False
        self.logger.info(
            "%s works again after %d failure(s) over %.0f s",
            self.what,
            self.failures,
            time.monotonic() - self._since,
        )
        self.failures = 0
        return True
