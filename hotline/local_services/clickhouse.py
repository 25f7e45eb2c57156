"""The local ClickHouse: Debian's ``clickhouse-server`` (18.16) started by hand with the project's own config.

No systemd here, so the server runs as a tracked background process: config under
``<state_dir>/clickhouse/``, data under ``<state_dir>/clickhouse/data/``, logs under
``<state_dir>/logs/clickhouse*.log`` and its pid in ``<state_dir>/run/clickhouse.pid``.
The config uses the ``<yandex>`` root element, which 18.16 requires and current servers still accept.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from clickhouse_driver import Client

from hotline.local_services.base import ServiceError, ServiceStatus
from hotline.local_services.processes import (
    log_tail,
    pid_alive,
    port_open,
    read_pid,
    spawn,
    stop_pid,
    stop_tracked,
)
from storage.clickhouse.server_admin import server_version

__all__ = ["server_command", "start", "status", "stop"]

NAME = "clickhouse"
HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
# Debian puts the server in /usr/sbin, which is not on every user's PATH.
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/usr/local/bin"])
# (executable, leading args): the split package first, then the single multi-call binary of newer releases.
_CANDIDATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("clickhouse-server", ()),
    ("clickhouse", ("server",)),
)
_INSTALL_HINT = (
    "clickhouse-server is not installed: `apt-get install clickhouse-server` (Debian), "
    "or point HOTLINE_CLICKHOUSE_URL at a running ClickHouse"
)


def server_command() -> list[str]:
    """Command that runs a ClickHouse server, or a ServiceError that says how to install one."""
    for name, args in _CANDIDATES:
        path = shutil.which(name, path=_SEARCH_PATH)
        if path is not None:
            return [path, *args]
    raise ServiceError(_INSTALL_HINT)


def start(state_dir: Path, tcp_port: int, http_port: int) -> str:
    """Start ClickHouse on ``127.0.0.1:tcp_port`` unless one already answers there; wait until it does."""
    version = _version(tcp_port)
    pid_file = _pid_file(state_dir)
    if version is not None:
        owner = "ours" if read_pid(pid_file) else "not started by us"
        return f"{NAME}: already answering on {HOST}:{tcp_port} (version {version}, {owner})"
    running = read_pid(pid_file)
    if running is not None:
        # Ours but silent: it may still be starting; if it never answers, it belongs to someone to stop.
        version = _wait_until_answering(tcp_port, running, START_TIMEOUT_S)
        if version is None:
            raise ServiceError(
                f"{NAME}: pid {running} from {pid_file} runs but does not answer on {HOST}:{tcp_port}; "
                "stop it first (`hotline services stop`)"
            )
        return f"{NAME}: already answering on {HOST}:{tcp_port} (version {version}, ours)"
    for port in (tcp_port, http_port):
        if port_open(HOST, port):
            raise ServiceError(f"{NAME}: port {HOST}:{port} is taken by something that is not ClickHouse")
    command = server_command()
    config_file = _write_config(state_dir, tcp_port, http_port, _free_port())
    stdout_log = _log_dir(state_dir) / "clickhouse.stdout.log"
    pid = spawn([*command, f"--config-file={config_file}"], pid_file=pid_file, log_file=stdout_log)
    version = _wait_until_answering(tcp_port, pid, START_TIMEOUT_S)
    if version is None:
        why = f"no answer within {START_TIMEOUT_S:.0f} s" if pid_alive(pid) else "the server exited"
        stop_pid(pid_file, timeout=STOP_TIMEOUT_S)
        raise ServiceError(
            f"{NAME} did not come up on {HOST}:{tcp_port} ({why}); "
            f"error log tail:\n{log_tail(_log_dir(state_dir) / 'clickhouse.err.log')}\n"
            f"stdout/stderr tail:\n{log_tail(stdout_log)}"
        )
    return f"{NAME}: started on {HOST}:{tcp_port} (http {http_port}, pid {pid}, version {version})"


def stop(state_dir: Path) -> str:
    """SIGTERM the server we started (SIGKILL if it lingers); a no-op when none runs."""
    return stop_tracked(
        NAME, _pid_file(state_dir), idle="not running (nothing to stop)", timeout=STOP_TIMEOUT_S
    )


def status(state_dir: Path, tcp_port: int) -> ServiceStatus:
    """Whether a ClickHouse answers on ``tcp_port`` and whether it is the one we started."""
    pid = read_pid(_pid_file(state_dir))
    version = _version(tcp_port)
    if version is not None:
        owner = f"pid {pid}, data {_data_dir(state_dir)}" if pid else "external"
        detail = f"version {version}, {owner}"
    elif pid is not None:
        detail = f"pid {pid} runs but does not answer; see {_log_dir(state_dir) / 'clickhouse.err.log'}"
    else:
        detail = "stopped"
    return ServiceStatus(name=NAME, running=version is not None, where=f"{HOST}:{tcp_port}", detail=detail)


def _version(tcp_port: int) -> str | None:
    """Server version when a ClickHouse answers the native protocol on ``tcp_port``, else None.

    A bare TCP probe goes first because the driver logs a traceback for every refused connection
    (the server, in turn, logs a harmless "Client has not sent any data" for the probe).
    """
    if not port_open(HOST, tcp_port, timeout=0.3):
        return None
    client = Client(
        HOST, port=tcp_port, connect_timeout=1, send_receive_timeout=1.5, sync_request_timeout=1.5
    )
    try:
        return server_version(client)
    except Exception:  # any failure means "not a ClickHouse that answers", which is what we report
        return None
    finally:
        client.disconnect()


def _wait_until_answering(tcp_port: int, pid: int, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = _version(tcp_port)
        if version is not None:
            return version
        if not pid_alive(pid):
            return None
        time.sleep(0.1)
    return None


def _free_port() -> int:
    """A port nobody listens on now, for the interserver endpoint nothing here uses."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _pid_file(state_dir: Path) -> Path:
    return state_dir / "run" / "clickhouse.pid"


def _log_dir(state_dir: Path) -> Path:
    return state_dir / "logs"


def _data_dir(state_dir: Path) -> Path:
    return state_dir / "clickhouse" / "data"


def _write_config(state_dir: Path, tcp_port: int, http_port: int, interserver_port: int) -> Path:
    """Write config.xml and users.xml for this start (ports may differ between starts)."""
    conf_dir = state_dir / "clickhouse"
    data = _data_dir(state_dir).resolve()
    logs = _log_dir(state_dir).resolve()
    for folder in (data, data / "tmp", data / "user_files", data / "format_schemas", logs):
        folder.mkdir(parents=True, exist_ok=True)
    users_file = (conf_dir / "users.xml").resolve()
    config = _xml(
        {
            "logger": {
                "level": "information",
                "log": f"{logs}/clickhouse.log",
                "errorlog": f"{logs}/clickhouse.err.log",
                "size": "100M",
                "count": "3",
            },
            "listen_host": HOST,
            "tcp_port": str(tcp_port),
            "http_port": str(http_port),
            "interserver_http_port": str(interserver_port),
            "path": f"{data}/",
            "tmp_path": f"{data}/tmp/",
            "user_files_path": f"{data}/user_files/",
            "format_schema_path": f"{data}/format_schemas/",
            "users_config": str(users_file),
            "default_profile": "default",
            "default_database": "default",
            "timezone": "UTC",
            # Upper bounds, allocated on demand; the defaults (5-8 GB) suit a dedicated host, not a laptop.
            "mark_cache_size": str(256 * 1024 * 1024),
            "uncompressed_cache_size": str(256 * 1024 * 1024),
        }
    )
    unlimited = {"duration": "3600", "queries": "0", "errors": "0", "result_rows": "0", "read_rows": "0"}
    users = _xml(
        {
            "profiles": {"default": {"max_memory_usage": str(4 * 1024**3), "load_balancing": "random"}},
            "users": {
                "default": {
                    "password": "",
                    "networks": [("ip", "127.0.0.1"), ("ip", "::1")],
                    "profile": "default",
                    "quota": "default",
                }
            },
            "quotas": {"default": {"interval": {**unlimited, "execution_time": "0"}}},
        }
    )
    users_file.write_text(users, encoding="utf-8")
    config_file = conf_dir / "config.xml"
    config_file.write_text(config, encoding="utf-8")
    return config_file


_Tree = dict[str, "str | _Tree | list[tuple[str, str]]"]


def _xml(tree: _Tree) -> str:
    """Render a nested dict under a ``<yandex>`` root; a list of pairs gives repeated elements."""
    root = ET.Element("yandex")

    def fill(parent: ET.Element, node: _Tree) -> None:
        for key, value in node.items():
            if isinstance(value, list):
                child = ET.SubElement(parent, key)
                for name, text in value:
                    ET.SubElement(child, name).text = text
            elif isinstance(value, dict):
                fill(ET.SubElement(parent, key), value)
            else:
                ET.SubElement(parent, key).text = value

    fill(root, tree)
    ET.indent(root)
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
