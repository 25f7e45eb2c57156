"""The alert rules a worker evaluates, re-read when they change (no restart needed).

Two sources: the rules file (edited by hand; checked by modification time) and the document
published through ``PUT /api/v1/rules`` (in Redis, see :mod:`storage.alert_rules_store`; checked by
revision). A change to either takes effect; at start the newer of the two wins. A broken edit is
logged and the last good rules stay in force.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alerts import RuleSet, RuleValidationError, load_rules, parse_rules
from storage.alert_rules_store import PublishedRules

__all__ = ["RulesSource"]

log = logging.getLogger(__name__)


class RulesSource:
    """Current rules from ``path`` or from the published document, whichever changed last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime_ns: int | None = None
        self._revision: int | None = None
        self.rules: RuleSet = load_rules(path)
        self._mtime_ns = path.stat().st_mtime_ns
        self.source = str(path)
        log.info("loaded %d alert rule(s) from %s", len(self.rules), path)

    def refresh(self) -> bool:
        """Reload when the file changed; True when new rules took effect."""
        try:
            mtime_ns = self.path.stat().st_mtime_ns
        except OSError as exc:
            log.error("cannot read rules file %s (%s); keeping %d rule(s)", self.path, exc, len(self.rules))
            return False
        if mtime_ns == self._mtime_ns:
            return False
        self._mtime_ns = mtime_ns
        try:
            self.rules = load_rules(self.path)
        except (RuleValidationError, OSError) as exc:
            log.error("rules file %s is invalid, keeping the previous rules: %s", self.path, exc)
            return False
        self.source = str(self.path)
        log.info("reloaded %d alert rule(s) from %s", len(self.rules), self.path)
        return True

    def apply_published(self, published: PublishedRules | None) -> bool:
        """Take the API's document if it is new; True when new rules took effect.

        The first document seen only wins if it is newer than the file (a worker starting after
        someone edited the file by hand keeps the file's rules).
        """
        if published is None or published.revision == self._revision:
            return False
        first = self._revision is None
        self._revision = published.revision
        if first and self._mtime_ns is not None and published.updated_at * 1e9 < self._mtime_ns:
            log.info("published rules r%d are older than %s; keeping the file", published.revision, self.path)
            return False
        try:
            self.rules = parse_rules(published.yaml, source=f"published rules r{published.revision}")
        except RuleValidationError as exc:
            log.error(
                "published rules r%d are invalid, keeping the previous rules: %s", published.revision, exc
            )
            return False
        self.source = f"api r{published.revision}"
        log.info("applied %d alert rule(s) published as r%d", len(self.rules), published.revision)
        return True
