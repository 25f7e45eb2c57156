"""Learn from reviewers' labels, publish the model, and load published models at once.

``learn_labels`` reads the one-partition ``labels`` topic, so only the worker assigned it learns
(see ``streams.agents.learner``). Every worker follows the registry's announcements and loads a
new snapshot as soon as it is published; the worker's one-second poll is the fallback.
"""

from __future__ import annotations

import asyncio
import logging

import faust

from config.settings import get_settings
from streams.agents.learner import learner
from streams.app import app
from streams.label_topics import labels
from streams.worker_context import context

__all__ = ["apply_taxonomy_edits", "follow_model_updates", "learn_labels", "publish_learned_model"]

log = logging.getLogger(__name__)
_settings = get_settings()

#: Wait before subscribing again after the announcement channel failed (Redis restarting).
RESUBSCRIBE_S = 1.0


@app.agent(labels)
async def learn_labels(stream: faust.StreamT) -> None:
    """Each batch of labels: predict (for the prequential accuracy), learn, publish when due."""
    await learner.ready.wait()
    async for events in stream.noack_take(_settings.learn_batch_size, within=_settings.learn_batch_s):
        try:
            learned = await learner.learn(events)
            if learned:
                log.debug("learned %d label(s)", learned)
            await learner.publish_due()
        except Exception:
            # Unacked labels come again after a restart; crashing would stop learning for good.
            log.exception("learning a batch of %d label(s) failed", len(events))


@app.timer(_settings.model_publish_interval_s)
async def publish_learned_model() -> None:
    """Publish labels learned since the last snapshot once the throttle allows it."""
    if not learner.ready.is_set():
        return
    try:
        if learner.owns_labels():
            await learner.publish_due()
        else:
            await learner.forget()
    except Exception:
        log.exception("publishing the learned model failed")


@app.timer(_settings.taxonomy_reload_s)
async def apply_taxonomy_edits() -> None:
    """The learner applies taxonomy edits (and publishes a first, rules-only model if none exists)."""
    if not learner.ready.is_set():
        return
    try:
        if learner.owns_labels():
            await learner.check_taxonomy()
            await learner.publish_due(force=True)
    except Exception:
        log.exception("applying the taxonomy failed")


@app.task
async def follow_model_updates() -> None:
    """Load each snapshot as soon as the registry announces it."""
    await context.ready.wait()
    while True:
        try:
            await context.tagger.follow_updates()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if context.should_stop:  # the worker is stopping and closed Redis under us
                return
            log.warning("model announcements interrupted (%r); polling meanwhile", exc)
            await asyncio.sleep(RESUBSCRIBE_S)
