"""Learn from reviewers' labels, publish the model, and load published models at once.

``learn_labels`` reads the one-partition ``labels`` topic, so only the worker assigned it learns
(see ``streams.agents.learner``). Every worker follows the registry's announcements and loads a
new snapshot as soon as it is published; the worker's one-second poll is the fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import faust

from streams.agents.learner import ModelLearner
from streams.worker_context import WorkerContext
from streams.worker_parts import Worker, add_service

__all__ = ["install"]

log = logging.getLogger(__name__)

#: Wait before subscribing again after the announcement channel failed (Redis restarting).
RESUBSCRIBE_S = 1.0


def install(worker: Worker) -> faust.types.AgentT:
    """Add the learner (a service), :func:`learn_labels` (on ``labels``), its two timers and the
    :func:`follow_model_updates` task to the worker's app."""
    app, settings = worker.app, worker.settings
    learner = add_service(app, ModelLearner(settings, app=app, topics=worker.topics))

    @app.agent(worker.topics.labels)
    async def learn_labels(stream: faust.StreamT) -> None:
        """Each batch of labels: predict (for the prequential accuracy), learn, publish when due."""
        await learner.ready.wait()
        async for events in stream.noack_take(settings.learn_batch_size, within=settings.learn_batch_s):
            try:
                learned = await learner.learn(events)
                if learned:
                    log.debug("learned %d label(s)", learned)
                await learner.publish_due()
            except Exception:
                # Unacked labels come again after a restart; crashing would stop learning for good.
                log.exception("learning a batch of %d label(s) failed", len(events))

    @app.timer(settings.model_publish_interval_s)
    async def publish_learned_model() -> None:
        """Publish labels learned since the last snapshot once the throttle allows it."""
        if learner.ready.is_set():
            await _as_learner(learner, learner.publish_due, "publishing the learned model failed")

    @app.timer(settings.taxonomy_reload_s)
    async def apply_taxonomy_edits() -> None:
        """The learner applies taxonomy edits (and publishes a first, rules-only model if none exists)."""
        if learner.ready.is_set():
            await _as_learner(learner, _apply_taxonomy, "applying the taxonomy failed", forget=False)

    async def _apply_taxonomy() -> None:
        await learner.check_taxonomy()
        await learner.publish_due(force=True)

    @app.task
    async def follow_model_updates() -> None:
        """Load each snapshot as soon as the registry announces it."""
        await _follow_model_updates(worker.context)

    return learn_labels


async def _as_learner(
    learner: ModelLearner, work: Callable[[], Awaitable[object]], failed: str, *, forget: bool = True
) -> None:
    """Do ``work`` if this worker owns the labels partition (else, with ``forget``, drop the
    learner's state); a failure is logged: a timer that raises would stop the worker."""
    try:
        if learner.owns_labels():
            await work()
        elif forget:
            await learner.forget()
    except Exception:
        log.exception(failed)


async def _follow_model_updates(context: WorkerContext) -> None:
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
