"""``kill -USR1 <worker pid>`` logs every asyncio task's stack: what a stalled worker waits on.

A worker that stops consuming without an error shows only idle threads to a sampling profiler; the
coroutines' suspension points say which await never returns.
"""

from __future__ import annotations

import asyncio
import io
import logging
import signal

__all__ = ["install_task_dump"]

log = logging.getLogger(__name__)

#: Where coroutines, generators and async generators keep their frame, and what they await.
_FRAMES = ("cr_frame", "gi_frame", "ag_frame")
_AWAITS = ("cr_await", "gi_yieldfrom", "ag_await")


def install_task_dump(loop: asyncio.AbstractEventLoop) -> None:
    """Log all tasks' stacks on SIGUSR1 (the handler runs on ``loop``)."""
    loop.add_signal_handler(signal.SIGUSR1, _dump_tasks, loop)


def _dump_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    out = io.StringIO()
    for task in sorted(tasks, key=lambda t: t.get_name()):
        out.write(f"--- {task.get_name()}\n")
        for where in _awaiting(task.get_coro()):
            out.write(f"    {where}\n")
    log.warning("SIGUSR1: %d asyncio task(s)\n%s", len(tasks), out.getvalue())


def _awaiting(coro: object) -> list[str]:
    """``file:line function`` of each coroutine down the chain of awaits (the task's own stack shows
    only the outermost one)."""
    chain = []
    while coro is not None and len(chain) < 40:
        if isinstance(coro, asyncio.Task):  # awaiting another task: follow it
            coro = coro.get_coro()
        frame = next((getattr(coro, name) for name in _FRAMES if getattr(coro, name, None)), None)
        if frame is not None:
            chain.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        coro = next((getattr(coro, name) for name in _AWAITS if getattr(coro, name, None)), None)
    if coro is not None:
        chain.append(repr(coro))
    return chain
