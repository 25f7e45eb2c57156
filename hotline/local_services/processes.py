"""Background server processes tracked by pid files under the state dir (no systemd here)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from hotline.local_services.base import ServiceError

__all__ = [
    "log_tail",
    "pid_alive",
    "port_open",
    "read_pid",
    "spawn",
    "spawn_listening",
    "start_listening",
    "stop_pid",
    "stop_tracked",
    "tracked_files",
    "wait_for_port",
]

log = logging.getLogger(__name__)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, pid: int | None = None) -> bool:
    """Wait until the port answers; give up early when the process that should open it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        if pid is not None and not pid_alive(pid):
            return False
        time.sleep(0.1)
    return False


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file`` when that process still runs, else None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def spawn(argv: Sequence[str], *, pid_file: Path, log_file: Path, env: dict[str, str] | None = None) -> int:
    """Start ``argv`` detached from our session (it outlives the CLI), logging to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    pid_file.write_text(str(proc.pid))
    log.info("started %s (pid %d), log %s", argv[0], proc.pid, log_file)
    return proc.pid


def spawn_listening(
    name: str, argv: Sequence[str], *, host: str, port: int, pid_file: Path, log_file: Path, timeout: float
) -> int:
    """Spawn a server and wait until it listens on ``host:port``; a ServiceError with its log otherwise."""
    pid = spawn(argv, pid_file=pid_file, log_file=log_file)
    if not wait_for_port(host, port, timeout, pid):
        stop_pid(pid_file)
        raise ServiceError(f"{name} did not start on {host}:{port}; log tail:\n{log_tail(log_file)}")
    return pid


def tracked_files(state_dir: Path, stem: str) -> tuple[Path, Path]:
    """Pid file and log of a server we start: ``run/<stem>.pid`` and ``logs/<stem>.log`` in ``state_dir``."""
    return state_dir / "run" / f"{stem}.pid", state_dir / "logs" / f"{stem}.log"


def start_listening(
    name: str, argv: Sequence[str], *, files: tuple[Path, Path], host: str, port: int, timeout: float
) -> str:
    """:func:`spawn_listening` with the ``(pid_file, log_file)`` pair; returns the ``services start`` line."""
    pid_file, log_file = files
    pid = spawn_listening(
        name, argv, host=host, port=port, pid_file=pid_file, log_file=log_file, timeout=timeout
    )
    return f"{name}: started on {host}:{port} (pid {pid})"


def stop_pid(pid_file: Path, *, timeout: float = 10.0) -> bool:
    """SIGTERM the recorded process, SIGKILL after ``timeout``; True when one was running."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid):
        log.warning("pid %d ignored SIGTERM for %.0f s; killing it", pid, timeout)
        os.kill(pid, signal.SIGKILL)
        while pid_alive(pid):
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return True


def stop_tracked(name: str, pid_file: Path, *, idle: str, timeout: float = 10.0) -> str:
    """:func:`stop_pid`, as the ``services stop`` line: stopped, or ``idle`` when none of ours ran."""
    return f"{name}: stopped" if stop_pid(pid_file, timeout=timeout) else f"{name}: {idle}"


def log_tail(log_file: Path, lines: int = 20) -> str:
    """Last lines of a log, for error messages that say why a server did not start."""
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
