"""The processes of a running stack, found from ``/proc``, and their memory (RSS) and CPU time.

Benchmarks measure the stack they load: ``hotline`` processes (API, one or more workers) are found
by command line and the broker URL in their environment; the broker, Redis and ClickHouse by the
process that listens on the port the settings name (so a reused Redis is found too).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from config.settings import Settings

__all__ = [
    "StackProcess",
    "cpu_seconds",
    "find_process",
    "find_processes",
    "listening_pid",
    "rss_mb",
    "stack_processes",
]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_TCP_LISTEN = "0A"
_DEFAULT_REDIS_PORT = 6379


@dataclass(frozen=True, slots=True)
class StackProcess:
    """One process of the stack: a label saying what it is (``worker``, ``broker``, ...) and its pid."""

    label: str
    pid: int


def _argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def find_processes(role: str, settings: Settings) -> list[tuple[int, list[str]]]:
    """Pid and argv of every ``hotline <role>`` process serving ``settings`` (same broker URL)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        words = _argv(int(entry.name))
        if role not in words or not any("hotline" in w for w in words):
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        env = dict(e.decode(errors="replace").split("=", 1) for e in environ if b"=" in e)
        if env.get("HOTLINE_KAFKA_URL", Settings.model_fields["kafka_url"].default) == settings.kafka_url:
            found.append((int(entry.name), words))
    return sorted(found)


def find_process(role: str, settings: Settings) -> int | None:
    """Pid of the (first) ``hotline <role>`` process serving ``settings``, if any."""
    found = find_processes(role, settings)
    return found[0][0] if found else None


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == _TCP_LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def listening_pid(port: int) -> int | None:
    """Pid of the process listening on TCP ``port`` (None when none, or when it is not ours to see)."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not sockets:
        return None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in sockets:
                    return int(entry.name)
        except OSError:
            continue
    return None


def _variant(role: str, words: list[str]) -> str:
    """What tells one ``hotline <role>`` from another: its ``--agents`` (else all its arguments)."""
    args = words[words.index(role) + 1 :]
    for i, arg in enumerate(args):
        if arg.startswith("--agents="):
            return arg.split("=", 1)[1]
        if arg == "--agents" and i + 1 < len(args):
            return args[i + 1]
    return " ".join(args)


def _role_labels(role: str, found: list[tuple[int, list[str]]]) -> list[StackProcess]:
    """``worker`` for a single worker; several are told apart by ``--agents`` (``worker alerts``)."""
    if len(found) == 1:
        return [StackProcess(role, found[0][0])]
    labels = []
    for pid, words in found:
        variant = _variant(role, words)
        labels.append(StackProcess(f"{role} {variant}" if variant else f"{role} {pid}", pid))
    if len({p.label for p in labels}) < len(labels):
        labels = [StackProcess(f"{p.label} [{p.pid}]", p.pid) for p in labels]
    return labels


def stack_processes(settings: Settings) -> list[StackProcess]:
    """Every process of the stack serving ``settings`` that can be found now."""
    processes = []
    for role in ("api", "worker"):
        processes += _role_labels(role, find_processes(role, settings))
    services = {
        "broker": settings.kafka_host_port[1],
        "redis": urlsplit(settings.redis_url).port or _DEFAULT_REDIS_PORT,
        "clickhouse": settings.clickhouse_host_port[1],
    }
    for label, port in services.items():
        pid = listening_pid(port)
        if pid is not None:
            processes.append(StackProcess(label, pid))
    return processes


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of ``pid`` so far (None when it is gone)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` in MiB (None when it is gone)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
