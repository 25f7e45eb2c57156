"""Redis for the local stack: reuse one that answers at the configured URL, else start ``redis-server``."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import redis

from hotline.local_services.base import ServiceError, ServiceStatus
from hotline.local_services.processes import read_pid, start_listening, stop_tracked, tracked_files

__all__ = ["start", "status", "stop"]

NAME = "redis"
START_TIMEOUT_S = 10.0


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def _paths(state_dir: Path) -> tuple[Path, Path]:
    return tracked_files(state_dir, "redis")


def start(state_dir: Path, url: str) -> str:
    """Reuse a Redis that answers at ``url``; otherwise start one on that host and port."""
    if _answers(url):
        return f"{NAME}: reusing the one answering at {_where(url)}"
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError(
            f"no Redis answers at {_where(url)} and redis-server is not installed: "
            "`apt-get install redis-server` (make demo / make test do this), or set HOTLINE_REDIS_URL"
        )
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    data_dir = state_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        binary,
        "--bind",
        host,
        "--port",
        str(port),
        "--save",
        "",
        # AOF as in docker-compose.yml: models, tokens and the alert stream survive a restart.
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--dir",
        str(data_dir),
        "--daemonize",
        "no",
    ]
    return start_listening(NAME, argv, files=_paths(state_dir), host=host, port=port, timeout=START_TIMEOUT_S)


def stop(state_dir: Path) -> str:
    """Stop the Redis we started; one we reused is left alone."""
    return stop_tracked(NAME, _paths(state_dir)[0], idle="not started by us (left running)")


def status(state_dir: Path, url: str) -> ServiceStatus:
    pid = read_pid(_paths(state_dir)[0])
    running = _answers(url)
    detail = f"pid {pid}" if pid else ("external (reused)" if running else "stopped")
    return ServiceStatus(name=NAME, running=running, where=_where(url), detail=detail)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or ''}"
