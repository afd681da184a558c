"""Compare ASGI servers on a hello-world Litestar app (``bench.hello_app:app``).

What it measures: requests/s and p50/p99 latency that `wrk` (keep-alive HTTP/1.1, loopback
only) gets from ONE worker process of each server, in turn:

* granian (``--interface asgi``, default event loop = the one ``treffpunkt web`` uses),
* uvicorn with ``--http h11 --loop asyncio`` (pure-Python parser and loop),
* uvicorn with ``--http httptools --loop uvloop`` (the uvicorn "standard" extras).

Access logs are off for all three, so the figures are the server's HTTP + ASGI overhead on a
near-empty endpoint, not what Treffpunkt's real pages cost. Each server gets a 2 s warm-up,
then a bounded measured run (default 10 s).

Why ratios: the machine is small (2 cores: wrk and the server share it) and shared with other
work, so absolute numbers move from run to run. Servers measured back to back in the same
script see roughly the same conditions, so read the last column (ratio to granian), not the
raw requests/s.

Usage: ``.venv/bin/python bench/asgi_servers.py [--duration 10] [--connections 64] [--threads 1]``
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APP = "bench.hello_app:app"
WARMUP_S = 2
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Result:
    server: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def server_commands(port: int) -> dict[str, list[str]]:
    """The servers under test, each with one worker process and no access log."""
    common = ["--host", HOST, "--port", str(port), "--workers", "1", "--log-level", "warning"]
    uvicorn = [str(BIN / "uvicorn"), *common, "--no-access-log"]
    return {
        "granian": [str(BIN / "granian"), *common, "--interface", "asgi", APP],
        "uvicorn h11+asyncio": [*uvicorn, "--http", "h11", "--loop", "asyncio", APP],
        "uvicorn httptools+uvloop": [*uvicorn, "--http", "httptools", "--loop", "uvloop", APP],
    }


def ensure_tools() -> None:
    """Install what is missing: uvloop/httptools into this venv, wrk from Debian (root only)."""
    missing = [mod for mod in ("uvloop", "httptools") if importlib.util.find_spec(mod) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("wrk is not on PATH: install it (Debian: apt-get install wrk) and run again")
    print("installing wrk with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        sys.exit("apt-get install wrk did not put wrk on PATH")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float = 20.0) -> None:
    """Poll ``GET /`` until it answers the expected JSON; fail if the server dies or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering")
        conn = http.client.HTTPConnection(HOST, port, timeout=1)
        try:
            conn.request("GET", "/")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status == 200:
                if json.loads(body) != {"hello": "world"}:
                    raise RuntimeError(f"unexpected body: {body!r}")
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer on port {port} within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it runs in its own session), then SIGKILL stragglers."""
    with suppress(ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers left behind, or a leader that ignored SIGTERM
    proc.wait()


@contextmanager
def running(cmd: list[str], port: int) -> Iterator[None]:
    """Run a server subprocess for the duration of the block; always stop it afterwards."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            try:
                wait_ready(proc, port)
            except RuntimeError:
                dump_tail(log)
                raise
            yield
        finally:
            stop(proc)


def dump_tail(log: IO[bytes]) -> None:
    log.seek(0)
    sys.stderr.write(log.read().decode(errors="replace")[-3000:])


def wrk(port: int, seconds: int, connections: int, threads: int) -> str:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://{HOST}:{port}/"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout


_MS_PER_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(server: str, out: str) -> Result:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    percentiles = re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    pct = {p: float(v) * _MS_PER_UNIT[u] for p, v, u in percentiles}
    if rps is None or set(pct) != {"50", "99"}:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = sum(map(int, sock.groups())) if sock else 0
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Result(server, float(rps.group(1)), pct["50"], pct["99"], errors)


def markdown_table(results: list[Result]) -> str:
    base = results[0].rps
    lines = [
        f"| server | requests/s | p50 ms | p99 ms | ratio to {results[0].server} |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {r.server} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.rps / base:.2f} |" for r in results]
    lines += [f"\n**{r.server}: {r.errors} socket errors / non-2xx responses**" for r in results if r.errors]
    return "\n".join(lines)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through `running`, which stops the server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per server (default 10)")
    parser.add_argument("--connections", type=int, default=64, help="open wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the server keeps a core)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    ensure_tools()

    results: list[Result] = []
    for name in server_commands(0):
        port = free_port()
        print(f"{name}: warm-up {WARMUP_S} s, then {args.duration} s on port {port}", file=sys.stderr)
        with running(server_commands(port)[name], port):
            wrk(port, WARMUP_S, args.connections, args.threads)
            results.append(parse_wrk(name, wrk(port, args.duration, args.connections, args.threads)))

    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency, 1 worker per server, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}\n"
    )
    print(markdown_table(results))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped", file=sys.stderr)
        sys.exit(130)
