"""The schema of the ``labels`` topic: a reviewer's tag for one complaint, with the text to learn.

Separate from ``events.records`` (the shared contracts) and free of Faust, so the API can produce
the same schema. The text travels with the label so the learner never has to query ClickHouse.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LabelEvent"]

#: Topic name (before the prefix). One partition: one learner sees every label, in order.


class LabelEvent(BaseModel):
    """A label as accepted by ``POST /api/v1/complaints/{id}/labels``, keyed by ``complaint_id``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label_id: str = Field(min_length=1, max_length=64)
    complaint_id: str = Field(min_length=1, max_length=64)
    dimension: str = Field(min_length=1, max_length=64)
    tag: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    who: str = Field(min_length=1, max_length=128, description="Who labelled it (staff id or name).")
    labelled_at: float = Field(gt=0, description="Epoch seconds when the API accepted it.")
