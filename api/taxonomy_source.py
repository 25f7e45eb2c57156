"""The taxonomy the API checks labels against: re-read when the file changes (one ``stat`` per use)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated

from fastapi import Depends, HTTPException, status
from starlette.requests import HTTPConnection

from online_models import Taxonomy, TaxonomyError, TaxonomyFile

__all__ = ["TaxonomyDep", "current_taxonomy"]

log = logging.getLogger(__name__)

#: FastAPI runs this sync dependency in worker threads: without the lock, a request arriving while
#: another parses the file finds it "unchanged" but not yet loaded, and answers 503.
_refreshing = threading.Lock()


def current_taxonomy(connection: HTTPConnection) -> Taxonomy:
    """The taxonomy in force; a broken edit is logged and the previous one kept (503 if none)."""
    state = connection.app.state
    with _refreshing:
        source: TaxonomyFile | None = getattr(state, "taxonomy_file", None)
        if source is None:
            source = state.taxonomy_file = TaxonomyFile(state.settings.taxonomy_path)
        try:
            source.refresh()
            return source.current()
        except TaxonomyError as exc:
            log.error("taxonomy file not usable:\n%s", exc)
            try:
                return source.current()
            except TaxonomyError:
                raise HTTPException(
                    status.HTTP_503_SERVICE_UNAVAILABLE, "the taxonomy file is missing or invalid"
                ) from exc


TaxonomyDep = Annotated[Taxonomy, Depends(current_taxonomy)]
