"""``treffpunkt serve``: the whole system as one command on one machine.

The supervisor migrates the database, optionally seeds the demo, then starts and
watches three children: the embedded Redis (unless ``TREFFPUNKT_REDIS_URL`` is set),
the web server and the worker. A child that dies is restarted with back-off (a
restarted Redis keeps its port, and the worker reconnects to it). SIGINT or SIGTERM
stops web and worker first, then Redis, and leaves no process behind: every child
also gets ``PR_SET_PDEATHSIG`` so it dies with the supervisor even on SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.embedded_redis import free_port, redis_command, wait_until_ready
from app.logging import get_logger
from app.settings import Settings

log = get_logger("treffpunkt.serve")
STARTUP_GRACE_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 10.0
BACKOFF_SECONDS = (0.5, 1, 2, 5, 10, 30)


class ServeError(RuntimeError):
    pass


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel to SIGTERM it when we die."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float | None = None
    ever_ran: bool = field(default=False)

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env, preexec_fn=_die_with_parent, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.running():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from exc


class Supervisor:
    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.settings = settings
        self.host = host
        self.port = port
        self.children: list[Child] = []
        self.stopping = False

    def _signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def build_children(self) -> None:
        env = dict(os.environ)
        if self.settings.redis_url is None:
            redis_port = free_port()
            data_dir = self.settings.data_dir / ".treffpunkt-redis"
            redis = Child("redis", redis_command(redis_port, data_dir), env)
            redis.start()
            wait_until_ready(redis_port)
            redis.ever_ran = True
            self.children.append(redis)
            env = {**env, "TREFFPUNKT_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "TREFFPUNKT_EMBEDDED_REDIS": "1"}
        cli = [sys.executable, "-m", "app.cli"]
        self.children.append(
            Child("web", [*cli, "web", "--host", self.host, "--port", str(self.port), "--workers", "1"], env)
        )
        self.children.append(Child("worker", [*cli, "worker"], env))

    def run(self) -> None:
        check_port_free(self.host, self.port)
        signal.signal(signal.SIGINT, self._signal)
        signal.signal(signal.SIGTERM, self._signal)
        try:
            self.build_children()
            for child in self.children:
                if child.process is None:
                    child.start()
            log.info(
                "serving",
                url=f"http://{self.host}:{self.port}/",
                redis="embedded" if self.settings.redis_url is None else "server",
            )
            while not self.stopping:
                self._watch()
                time.sleep(0.2)
        finally:
            self.shutdown()

    def _watch(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.running():
                if now - child.started_at > STARTUP_GRACE_SECONDS:
                    child.ever_ran = True
                if now - child.started_at > 60:
                    child.restarts = 0
                continue
            if child.restart_at is None:
                code = child.process.returncode if child.process else None
                if not child.ever_ran:
                    raise ServeError(f"the {child.name} process stopped right after start (exit code {code})")
                delay = BACKOFF_SECONDS[min(child.restarts, len(BACKOFF_SECONDS) - 1)]
                log.warning("child_exited", child=child.name, exit_code=code, restart_in_seconds=delay)
                child.restart_at = now + delay
            elif now >= child.restart_at:
                child.restarts += 1
                child.start()
                child.ever_ran = True

    def shutdown(self) -> None:
        log.info("stopping")
        first = [c for c in self.children if c.name != "redis"]
        last = [c for c in self.children if c.name == "redis"]
        for group in (first, last):
            for child in group:
                child.stop(signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
            for child in group:
                if child.process is None:
                    continue
                try:
                    child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.stop(signal.SIGKILL)
                    child.process.wait()
        log.info("stopped")


def serve(settings: Settings, host: str, port: int) -> None:
    Supervisor(settings, host, port).run()


__all__ = ["Path", "ServeError", "serve"]
