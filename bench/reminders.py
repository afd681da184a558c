"""Reminders through one ``treffpunkt worker`` into a local SMTP sink: messages per second.

Set-up, all on loopback and all thrown away afterwards: a PostgreSQL 15 (or, with
``--sqlite``, a SQLite file), a redis-server, ``treffpunkt migrate``, a coordinator with an
API token. The load is made through the real service: ``treffpunkt web --workers 2`` with
``TREFFPUNKT_SIGNUP_RATE_LIMIT=0`` and no worker running; four café activities (one session
each, ``capacity: null``) are created through the API, and ``--people`` (10,000) people
sign up with unique e-mail addresses through ``POST /api/v1/sessions/{id}/registrations``
(httpx, 32 at a time). Each sign-up writes three outbox rows: ``confirmed`` (due now) and
two reminders (due 24 h and 2 h before the session, months away).

Then the web server is stopped and, directly in the database:

* the ``reminder_day_before`` rows are made due now (``not_before = created_at``): these
  are the messages measured, one per person;
* the ``confirmed`` rows get the bench-only status ``held``, so nothing sends them;
* the ``reminder_two_hours`` rows stay pending and not due (they must not be sent);
* Redis is flushed: the web's doorbell had queued one job per confirmation.

Measured run: an SMTP sink in a process of its own (`smtp_sink.py`, uvloop; it records time,
Message-ID and the raw message of everything it accepts) and ONE ``treffpunkt worker``
process with ``TREFFPUNKT_SMTP_URL`` pointing at it. The clock starts when the worker is
spawned and stops when the sink has every message; then the script waits ``--grace``
seconds more (longer than one sweep) to catch late duplicates. Exactly-once checks: the
sink's count equals the number of rows, no Message-ID twice, the Message-IDs are exactly
the rows' ids, every row is ``sent`` after exactly one attempt.

Baseline, same run: the very messages the sink received, parsed back into
``EmailMessage`` objects before the clock starts, sent with ``aiosmtplib.send`` (a new
connection per message, as the worker did before it kept connections open) from this
process with 10 at a time (the worker's ``max_jobs``) to a fresh sink. A second baseline
sends the same bytes as they are over 10 aiosmtplib connections kept open all along
(``SMTP.sendmail``): what aiosmtplib alone does when rendering, MIME and the database cost
nothing. The ratio column is against the first.

What-if (``--what-if-poll-delay S``, off by default since ``WorkerSettings`` sets 0.1 s; not the
service as shipped): the same worker with another arq ``poll_delay``, on ``--what-if-messages``
(3,000) of the two-hour reminders. ``--py-spy`` samples each worker from its first message to
its last (``.venv/bin/pip install py-spy``).

Profile (``--profile N``, 0 to skip): N more two-hour reminders are made due and a child
process runs ``notifications.sending.deliver_block`` (what the worker's block jobs run) on
their blocks one after another, the first half plain (ms per message) and the second half
under cProfile (top costs).

Each worker run gives up after ``--timeout`` seconds (600; the 10,000 took 1.5 minutes on a
busy machine) and then reports what arrived so far.

Usage: ``.venv/bin/python bench/reminders.py [--sqlite] [--people 10000] [--timeout 600] [--py-spy]``
"""

from __future__ import annotations

import argparse
import asyncio
import email.policy
import itertools
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from importlib import metadata
from pathlib import Path
from typing import Any, cast

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    BIN,
    HOST,
    ROOT,
    background,
    install_signal_handlers,
    postgres_server,
    prepare_database,
    redis_server,
    service_env,
    treffpunkt_web,
)

HERE = Path(__file__).resolve().parent
QUEUE_NAME = "treffpunkt:queue"  # notifications.worker.QUEUE_NAME (not imported: it reads settings on import)
MAX_JOBS = 10  # notifications.worker.WorkerSettings.max_jobs (arq's default)
SWEEP_EVERY_S = 5  # notifications.worker: cron second=range(0, 60, 5)
SWEEP_LIMIT = 20_000  # notifications.sending.SWEEP_LIMIT (due rows looked at per sweep)
ACTIVITIES = 4
LANGUAGES = ("de", "ar", "uk", "fa", "en", "tr", "ru")
CLK_TCK = os.sysconf("SC_CLK_TCK")
_OUTBOX_ID = re.compile(r"^<outbox-(\d+)@")


# --- the database, directly (setting rows due; checks) ----------------------------------------


class Database:
    """A few plain SQL statements against the benchmark's database, outside the service."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _sqlite_path(self) -> str | None:
        return self.url[len("sqlite:///") :] if self.url.startswith("sqlite:///") else None

    def execute(self, sql: str) -> int:
        """Run one statement; the number of rows it changed."""
        path = self._sqlite_path()
        if path is not None:
            with sqlite3.connect(path, timeout=15) as conn:
                return conn.execute(sql).rowcount
        status = asyncio.run(self._pg(lambda conn: conn.execute(sql)))
        return int(str(status).split()[-1])

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        path = self._sqlite_path()
        if path is not None:
            with sqlite3.connect(path, timeout=15) as conn:
                return list(conn.execute(sql).fetchall())
        rows = asyncio.run(self._pg(lambda conn: conn.fetch(sql)))
        return [tuple(row) for row in rows]

    async def _pg(self, work: Any) -> Any:
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            return await work(conn)
        finally:
            await conn.close()

    def outbox_counts(self) -> dict[tuple[str, str], int]:
        rows = self.fetch("SELECT kind, status, count(*) FROM outbox_message GROUP BY kind, status")
        return {(str(kind), str(status)): int(n) for kind, status, n in rows}


# --- CPU accounting from /proc ---------------------------------------------------------------


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone)."""
    try:
        rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_cpu_s(root: int) -> float:
    """CPU seconds of ``root`` and all its descendants, with the children they have reaped.

    For PostgreSQL: the postmaster, its backends and helpers, and (through the postmaster's
    ``cutime``) the backends that have already exited.
    """
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(entry.name)) is not None:
            parents[int(entry.name)] = int(fields[1])
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = 0.0
    for pid in tree:
        if (fields := _stat_fields(pid)) is not None:
            total += sum(int(v) for v in fields[11:15]) / CLK_TCK
    return total


def find_process(program: str, port: str) -> int | None:
    """The pid of the ``program`` process serving ``port`` (``-p N``, ``--port N`` or ``…:N`` in its title)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split()
        except OSError:
            continue
        if not args or not Path(args[0]).name.startswith(program):
            continue
        pairs = itertools.pairwise(args)
        if any(a in ("-p", "--port") and b == port for a, b in pairs) or any(a.endswith(f":{port}") for a in args):
            return int(entry.name)
    return None


@dataclass
class Peers:
    """PostgreSQL (the postmaster's tree) and redis-server of this run, for CPU accounting."""

    postgres: int | None
    redis: int | None

    @classmethod
    def find(cls, database_url: str, redis_url: str) -> Peers:
        postgres = None
        if database_url.startswith("postgresql://"):
            port = database_url.rsplit(":", 1)[1].split("/", 1)[0]
            postgres = find_process("postgres", port)
        redis_port = redis_url.rsplit(":", 1)[1].split("/", 1)[0]
        return cls(postgres=postgres, redis=find_process("redis-server", redis_port))

    def cpu_s(self) -> dict[str, float]:
        found = {}
        if self.postgres is not None:
            found["PostgreSQL"] = tree_cpu_s(self.postgres)
        if self.redis is not None:
            found["Redis"] = process_cpu_s(self.redis)
        return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    total = sum(values)
    idle = values[3] + values[4]  # idle + iowait
    return (total - idle) / CLK_TCK, total / CLK_TCK


# --- the SMTP sink ---------------------------------------------------------------------------


@dataclass
class Sink:
    """The sink process and what it has recorded so far (read incrementally from its log)."""

    port: int
    out: Path
    pid: int
    times: list[float] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    _offset: int = 0

    def poll(self) -> int:
        with (self.out / "received.log").open("rb") as log:
            log.seek(self._offset)
            data = log.read()
        end = data.rfind(b"\n") + 1  # only complete lines
        self._offset += end
        for line in data[:end].decode().splitlines():
            stamp, message_id, _size = line.split(" ")
            self.times.append(float(stamp))
            self.message_ids.append(message_id)
        return len(self.times)

    def raw_messages(self) -> Iterator[bytes]:
        with (self.out / "received.raw").open("rb") as raw:
            while header := raw.readline():
                yield raw.read(int(header))


def _smtp_banner(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            return sock.recv(64).startswith(b"220")
    except OSError:
        return False


@contextmanager
def smtp_sink() -> Iterator[Sink]:
    from bench.harness import free_port

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="treffpunkt-bench-sink.") as out:
        cmd = [sys.executable, str(HERE / "smtp_sink.py"), "--port", str(port), "--out", out]
        with background(cmd, ready=lambda: _smtp_banner(port), what="SMTP sink") as proc:
            yield Sink(port=port, out=Path(out), pid=proc.pid)


# --- creating the load through the API ----------------------------------------------------


def create_cafes(port: int, token: str) -> list[int]:
    """Four café activities with one session each, capacity null; their session ids."""
    import httpx

    session_ids: list[int] = []
    with httpx.Client(base_url=f"http://{HOST}:{port}", headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(ACTIVITIES):
            created = client.post(
                "/api/v1/activities",
                json={
                    "kind": "cafe",
                    "title": {"de": f"Sprachcafé {i + 1}", "en": f"Language café {i + 1}"},
                    "start": f"2027-03-0{1 + i}T18:00",
                    "capacity": None,
                    "languages": ["de", "en", "ar"],
                    "venue": {"name": f"Stadtteilzentrum {i + 1}", "address": f"Hauptstraße {10 + i}, Berlin"},
                },
            )
            if created.status_code != 201:
                raise RuntimeError(f"POST /api/v1/activities: {created.status_code} {created.text[:300]}")
            sessions = client.get(f"/api/v1/activities/{created.json()['id']}/sessions").json()
            if len(sessions) != 1 or sessions[0]["capacity"] is not None:
                raise RuntimeError(f"expected one session with capacity null, got {sessions!r:.300}")
            session_ids.append(int(sessions[0]["id"]))
    return session_ids


async def _sign_up_all(
    port: int, session_ids: list[int], people: int, concurrency: int, deadline: float
) -> Counter[str]:
    import httpx

    statuses: Counter[str] = Counter()
    numbers = iter(range(people))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=60) as client:

        async def one_client() -> None:
            for n in numbers:
                if time.monotonic() > deadline:
                    raise TimeoutError("the sign-ups took too long")
                body = {
                    "name": f"Bench Person {n}",
                    "email": f"person{n:06d}@example.org",
                    "language": LANGUAGES[n % len(LANGUAGES)],
                    "consent": True,
                }
                try:
                    resp = await client.post(
                        f"/api/v1/sessions/{session_ids[n % len(session_ids)]}/registrations", json=body
                    )
                    statuses[str(resp.status_code)] += 1
                except httpx.HTTPError as error:
                    statuses[type(error).__name__] += 1
                if n and n % 1000 == 0:
                    print(f"  … {n:,} sign-ups sent", file=sys.stderr)

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return statuses


# --- the measured worker run -----------------------------------------------------------------


@dataclass
class WorkerRun:
    label: str
    kind: str  # the outbox kind that was made due
    expected_ids: list[int]
    received: int
    spawned_at: float
    done_at: float  # when the sink had them all (or the time-out)
    timed_out: bool
    worker_cpu_s: float  # whole process, start-up included
    worker_cpu_sending_s: float  # from the first message to the last
    sink_cpu_s: float
    sink_cpu_sending_s: float  # from the first message to the last
    peers_cpu_sending_s: dict[str, float]  # PostgreSQL, Redis: from the first message to the last
    machine_busy_s: float
    machine_total_s: float
    times: list[float]
    message_ids: list[str]  # including any that came during the grace period
    grace_s: float
    py_spy: dict[str, Any] | None = None
    checks: list[tuple[str, bool]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list, repr=False)  # what the sink received, for the baseline

    @property
    def seconds(self) -> float:
        return (self.times[-1] if self.times else self.done_at) - self.spawned_at

    @property
    def rate(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0

    @property
    def sending_seconds(self) -> float:
        return self.times[-1] - self.times[0] if len(self.times) > 1 else 0.0

    @property
    def steady_rate(self) -> float:
        return (len(self.times) - 1) / self.sending_seconds if self.sending_seconds > 0 else 0.0


def worker_command(poll_delay: float | None) -> list[str]:
    """``treffpunkt worker``, or (what-if) the same worker with another arq ``poll_delay``."""
    if poll_delay is None:
        return [str(BIN / "treffpunkt"), "worker"]
    return [sys.executable, str(Path(__file__).resolve()), "--worker-child-poll-delay", str(poll_delay)]


def _worker_child(poll_delay: float) -> None:
    """``treffpunkt worker`` with one change: ``create_worker(..., poll_delay=…)`` (bench only)."""
    import app.worker_process
    from app.cli import main

    original = app.worker_process.create_worker

    def create_worker(*args: Any, **kwargs: Any) -> Any:
        return original(*args, poll_delay=poll_delay, **kwargs)

    app.worker_process.create_worker = create_worker
    sys.exit(main(["worker"]))


def _start_py_spy(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    exe = BIN / "py-spy"
    if not exe.exists():
        print("  py-spy is not installed (.venv/bin/pip install py-spy): no sampling profile", file=sys.stderr)
        return None
    cmd = [str(exe), "record", "-p", str(pid), "--format", "raw", "-o", str(out), "--nonblocking", "--rate", "200"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _stop_py_spy(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT makes py-spy write its file; SIGKILL if it does not stop."""
    with suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_worker(
    label: str,
    env: dict[str, str],
    db: Database,
    kind: str,
    *,
    poll_delay: float | None,
    timeout: float,
    grace: float,
    py_spy: bool,
    peers: Peers,
    py_spy_keep: Path | None = None,
) -> WorkerRun:
    """Start one worker on the rows of ``kind`` that are due; time until the sink has them all."""
    expected_ids = sorted(
        int(row[0])
        for row in db.fetch(
            f"SELECT id FROM outbox_message WHERE kind = '{kind}' AND status = 'pending' AND not_before = created_at"
        )
    )
    expected = len(expected_ids)
    others_sent_before = _sent_other_kinds(db, kind)
    print(f"{label}: {expected:,} × {kind}", file=sys.stderr)
    with smtp_sink() as sink, tempfile.TemporaryDirectory(prefix="treffpunkt-bench-spy.") as spy_dir:
        worker_env = {**env, "TREFFPUNKT_SMTP_URL": f"smtp://{HOST}:{sink.port}"}
        busy0, total0 = machine_cpu()
        sink_cpu0 = process_cpu_s(sink.pid)
        spawned = time.time()
        timed_out = False
        cpu_at_first = 0.0
        sink_cpu_at_first = 0.0
        peers_at_first: dict[str, float] = {}
        spy: subprocess.Popen[bytes] | None = None
        spy_out = Path(spy_dir) / "worker.raw"
        try:
            with background(worker_command(poll_delay), env=worker_env, ready=lambda: True, what="worker") as proc:
                while (count := sink.poll()) < expected:
                    if count and not cpu_at_first:
                        cpu_at_first = process_cpu_s(proc.pid)
                        sink_cpu_at_first = process_cpu_s(sink.pid)
                        peers_at_first = peers.cpu_s()
                        busy0, total0 = machine_cpu()  # the machine too: from the first message
                        if py_spy:
                            spy = _start_py_spy(proc.pid, spy_out)
                    if proc.poll() is not None:
                        raise RuntimeError(f"the worker exited with code {proc.returncode} during the run")
                    if time.time() - spawned > timeout:
                        timed_out = True
                        print(f"  giving up after {timeout:.0f} s", file=sys.stderr)
                        break
                    time.sleep(0.05)
                done = time.time()
                worker_cpu = process_cpu_s(proc.pid)
                sink_cpu_now = process_cpu_s(sink.pid)
                sink_cpu = sink_cpu_now - sink_cpu0
                peers_now = peers.cpu_s()
                busy1, total1 = machine_cpu()
                if spy is not None:
                    _stop_py_spy(spy)
                    if py_spy_keep is not None and spy_out.exists():
                        py_spy_keep.mkdir(parents=True, exist_ok=True)
                        (py_spy_keep / f"worker-{kind}.raw").write_bytes(spy_out.read_bytes())
                received = sink.poll()
                print(
                    f"  {received:,} messages in {done - spawned:.1f} s; {grace:.0f} s more for duplicates",
                    file=sys.stderr,
                )
                time.sleep(grace)
        finally:
            if spy is not None and spy.poll() is None:
                spy.kill()
                spy.wait()
        sink.poll()  # the worker is stopped: anything new arrived during the grace period
        run = WorkerRun(
            label=label,
            kind=kind,
            expected_ids=expected_ids,
            received=received,
            spawned_at=spawned,
            done_at=done,
            timed_out=timed_out,
            worker_cpu_s=worker_cpu,
            worker_cpu_sending_s=worker_cpu - cpu_at_first,
            sink_cpu_s=sink_cpu,
            sink_cpu_sending_s=sink_cpu_now - sink_cpu_at_first,
            peers_cpu_sending_s={k: v - peers_at_first.get(k, v) for k, v in peers_now.items()},
            machine_busy_s=busy1 - busy0,
            machine_total_s=total1 - total0,
            times=sink.times[:received],
            message_ids=list(sink.message_ids),
            grace_s=grace,
            py_spy=summarise_py_spy(spy_out) if spy is not None and spy_out.exists() else None,
        )
        run.raw = list(sink.raw_messages())[:received]
    run.checks = exactly_once(run, db, others_sent_before)
    # Whatever is left (a time-out) must not be sent by the next worker of this benchmark.
    db.execute(
        f"UPDATE outbox_message SET status = 'held' WHERE kind = '{kind}' AND status IN ('pending', 'sending') "
        "AND not_before = created_at"
    )
    return run


def _sent_other_kinds(db: Database, kind: str) -> int:
    return sum(n for (other, status), n in db.outbox_counts().items() if other != kind and status == "sent")


def exactly_once(run: WorkerRun, db: Database, others_sent_before: int) -> list[tuple[str, bool]]:
    """Sink against database: every row made due sent once, nothing twice, nothing else."""
    seen = Counter(run.message_ids)
    twice = sum(1 for n in seen.values() if n > 1)
    sink_ids = {int(m.group(1)) for mid in seen if (m := _OUTBOX_ID.match(mid))}
    rows = db.fetch(f"SELECT id, status, attempts FROM outbox_message WHERE kind = '{run.kind}'")
    sent = {int(i) for i, status, _ in rows if status == "sent"}
    sending = {int(i) for i, status, _ in rows if status == "sending"}
    one_attempt = sum(1 for i, status, attempts in rows if status == "sent" and int(attempts) == 1)
    others = _sent_other_kinds(db, run.kind) - others_sent_before
    not_due = len(sent - set(run.expected_ids))
    checks = [
        (
            f"sink count {len(run.message_ids):,} (including {run.grace_s:.0f} s after the last one) = "
            f"rows sent {len(sent):,} (of {len(run.expected_ids):,} made due)",
            len(run.message_ids) == len(sent) or (run.timed_out and not sink_ids - sent - sending),
        ),
        (f"Message-IDs seen twice: {twice}", twice == 0),
        (
            "the Message-IDs are exactly the ids of the rows sent",
            sink_ids == sent or (run.timed_out and sent <= sink_ids <= sent | sending),
        ),
        (f"rows sent after exactly one attempt: {one_attempt:,} of {len(sent):,}", one_attempt == len(sent)),
        (f"rows sent that were not made due: {not_due} of this kind, {others} of other kinds", not not_due + others),
    ]
    if not run.timed_out:
        checks.append((f"all {len(run.expected_ids):,} rows made due were sent", sent == set(run.expected_ids)))
    return checks


def _in_package(files: list[str], package: str) -> bool:
    """py-spy names files relative to their ``sys.path`` entry: ``arq/worker.py:460)``."""
    return any(f.startswith(package + "/") or f"/{package}/" in f for f in files)


def summarise_py_spy(path: Path) -> dict[str, Any]:
    """Share of the worker's CPU samples by what they were doing (py-spy raw: ``frames count`` per line)."""
    buckets: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        n = int(number)
        total += n
        frames = stack.split(";")  # outermost first
        names = [f.split(" (", 1)[0] for f in frames]
        files = [f.rsplit("(", 1)[-1] for f in frames]
        if "getfqdn" in names or any("concurrent/futures/thread.py" in f for f in files):
            buckets["`socket.getfqdn()` in a thread (aiosmtplib, once per connection)"] += n
        elif "deliver" in names or "deliver_block" in names:
            buckets["deliver() and deliver_block()"] += n
            for step in ("_claim", "load_recipients", "render", "email_bytes", "send", "_finish", "_release"):
                if step in names:
                    steps[step] += n
                    break
            else:
                steps["other"] += n
        elif "sweep_outbox_job" in names:
            buckets["sweep_outbox_job"] += n
        elif _in_package(files, "arq"):
            buckets["arq (polling, starting and finishing jobs)"] += n
        elif _in_package(files, "aiosqlite"):
            buckets["aiosqlite connection threads (SQLite)"] += n
        elif _in_package(files, "redis"):
            buckets["redis client outside arq"] += n
        else:
            buckets["event loop and I/O callbacks"] += n
        leaf = frames[-1]
        where = leaf.rsplit("(", 1)[-1].rstrip(")")
        leaves[f"{leaf.split(' (', 1)[0]} ({_where(where.rsplit(':', 1)[0])})"] += n
    return {
        "samples": total,
        "buckets": {k: v / total for k, v in buckets.most_common()} if total else {},
        "steps": {k: v / total for k, v in steps.most_common()} if total else {},
        "leaves": [(k, v / total) for k, v in leaves.most_common(10)] if total else [],
    }


def windows(times: list[float], start: float, width: float = SWEEP_EVERY_S) -> list[int]:
    """Messages received per ``width`` seconds since ``start``."""
    if not times:
        return []
    counts = [0] * (int((times[-1] - start) // width) + 1)
    for t in times:
        counts[int((t - start) // width)] += 1
    return counts


# --- the baseline: raw aiosmtplib --------------------------------------------------------------


async def _send_raw(messages: list[EmailMessage], port: int, concurrency: int) -> float:
    import aiosmtplib

    queue = iter(messages)

    async def sender() -> None:
        for message in queue:
            await aiosmtplib.send(message, hostname=HOST, port=port, start_tls=None, timeout=15)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return time.perf_counter() - started


@dataclass
class BaselineRun:
    messages: int
    received: int
    distinct: int
    seconds: float
    client_cpu_s: float
    sink_cpu_s: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


_TO = re.compile(rb"^To:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


async def _send_raw_pooled(messages: list[bytes], port: int, concurrency: int) -> float:
    """``concurrency`` aiosmtplib connections, open all along, sending the flattened bytes as they are."""
    import aiosmtplib

    queue = iter(messages)

    async def sender() -> None:
        async with aiosmtplib.SMTP(hostname=HOST, port=port, start_tls=None, timeout=15) as client:
            for content in queue:
                found = _TO.search(content.split(b"\r\n\r\n", 1)[0])
                assert found is not None
                await client.sendmail("no-reply@treffpunkt.invalid", [found.group(1).decode()], content)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return time.perf_counter() - started


def _measure_baseline(messages: int, send: Callable[[int], Coroutine[Any, Any, float]]) -> BaselineRun:
    """Run ``send(sink_port)`` (it returns its seconds) against a fresh sink, with both sides' CPU."""
    with smtp_sink() as sink:
        sink_cpu0 = process_cpu_s(sink.pid)
        own0 = time.process_time()
        seconds = asyncio.run(send(sink.port))
        own = time.process_time() - own0
        received = sink.poll()
        return BaselineRun(
            messages=messages,
            received=received,
            distinct=len(set(sink.message_ids)),
            seconds=seconds,
            client_cpu_s=own,
            sink_cpu_s=process_cpu_s(sink.pid) - sink_cpu0,
        )


def run_baseline_pooled(raw: list[bytes], concurrency: int) -> BaselineRun:
    """The second baseline: what aiosmtplib alone does with open connections and finished messages."""
    return _measure_baseline(len(raw), lambda port: _send_raw_pooled(raw, port, concurrency))


def run_baseline(raw: list[bytes], concurrency: int) -> BaselineRun:
    parser = BytesParser(policy=email.policy.default)
    messages = [cast(EmailMessage, parser.parsebytes(data)) for data in raw]
    return _measure_baseline(len(messages), lambda port: _send_raw(messages, port, concurrency))


# --- the profile: deliver() in-process ---------------------------------------------------------


def _where(filename: str) -> str:
    """Group a profiled function by library (or project package)."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(ROOT) + "/"
    if filename.startswith(root):
        return filename[len(root) :].split("/", 1)[0].removesuffix(".py")
    if filename == "~":
        return "built-ins"
    if "/python3" in filename:
        return "stdlib " + filename.rsplit("/python3", 1)[1].split("/", 2)[1].removesuffix(".py")
    return filename


async def _profile_child(count: int) -> dict[str, Any]:
    """``deliver_block`` (what the worker's block jobs run) on every due block, one after another."""
    import cProfile
    import pstats

    from app import database
    from app.settings import get_settings
    from notifications.sending import Channels, deliver_block, due_blocks
    from notifications.smtp import SmtpPool

    settings = get_settings()
    assert settings.smtp_url is not None
    channels = Channels(
        smtp_url=settings.smtp_url,
        sms_url=settings.sms_url,
        base_url=settings.base_url,
        secret_key=settings.secret_key,
        default_language=settings.default_language,
        mailer=SmtpPool(settings.smtp_url, size=1),
    )
    await database.open_pool()
    try:
        blocks = await due_blocks()
        half = len(blocks) // 2
        outcomes: Counter[str] = Counter()
        started = time.perf_counter()
        cpu_started = time.process_time()
        for block in blocks[:half]:
            outcomes.update(await deliver_block(block, channels))
        plain_s = time.perf_counter() - started
        plain_cpu_s = time.process_time() - cpu_started
        plain_n = sum(outcomes.values())
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for block in blocks[half:]:
            outcomes.update(await deliver_block(block, channels))
        profiler.disable()
        profiled_s = time.perf_counter() - started
        assert channels.mailer is not None
        await channels.mailer.close()
    finally:
        await database.close_pool()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    n = max(sum(outcomes.values()) - plain_n, 1)
    stages: dict[str, float] = {}
    wanted = {"deliver_block", "_claim", "load_recipients", "render", "email_bytes", "send", "_finish", "_release"}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        if name in wanted and "notifications/" in filename:
            stages[name] = stages.get(name, 0.0) + cumulative * 1000 / n
    by_library: Counter[str] = Counter()
    for (filename, _line, _name), (_cc, _nc, own, _ct, _callers) in stats.items():
        by_library[_where(filename)] += own * 1000 / n
    top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:15]
    return {
        "messages": sum(outcomes.values()),
        "outcomes": dict(outcomes),
        "plain_ms": plain_s * 1000 / max(plain_n, 1),
        "plain_cpu_ms": plain_cpu_s * 1000 / max(plain_n, 1),
        "profiled_ms": profiled_s * 1000 / n,
        "stages_ms": stages,
        "libraries_ms": by_library.most_common(12),
        "top_ms": [
            (f"{_where(fn)}:{line}:{name}", tt * 1000 / n, ct * 1000 / n, nc / n)
            for (fn, line, name), (_cc, nc, tt, ct, _callers) in top
        ],
    }


def run_profile(env: dict[str, str], db: Database, count: int) -> dict[str, Any]:
    made_due = db.execute(
        "UPDATE outbox_message SET not_before = created_at WHERE id IN (SELECT id FROM outbox_message "
        f"WHERE kind = 'reminder_two_hours' AND status = 'pending' ORDER BY id LIMIT {int(count)})"
    )
    if made_due < 2:
        raise RuntimeError(f"only {made_due} two-hour reminders left to profile")
    with smtp_sink() as sink:
        child_env = {**env, "TREFFPUNKT_SMTP_URL": f"smtp://{HOST}:{sink.port}"}
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--profile-child", str(made_due)],
            cwd=ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"profile child failed ({done.returncode}): {done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["sink_received"] = sink.poll()
    return result


# --- the whole benchmark -------------------------------------------------------------------------


@dataclass
class Results:
    database: str
    people: int
    signup_statuses: dict[str, int]
    signup_seconds: float
    counts_after_signup: dict[tuple[str, str], int]
    doorbell_jobs_dropped: int
    runs: list[WorkerRun]
    counts_after_runs: dict[tuple[str, str], int]
    baseline: BaselineRun | None
    baseline_pooled: BaselineRun | None
    profile: dict[str, Any] | None
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def ok(self) -> bool:
        return all(ok for run in self.runs for _, ok in run.checks)


def _hold_confirmations_and_flush(db: Database, redis_url: str) -> int:
    """Hold the confirmations, make the day-before reminders due, empty the doorbell queue."""
    import redis

    db.execute("UPDATE outbox_message SET status = 'held' WHERE kind = 'confirmed' AND status = 'pending'")
    db.execute(
        "UPDATE outbox_message SET not_before = created_at WHERE kind = 'reminder_day_before' AND status = 'pending'"
    )
    client = redis.Redis.from_url(redis_url)
    try:
        queued = int(cast(int, client.zcard(QUEUE_NAME)))
        client.flushdb()
    finally:
        client.close()
    return queued


def run(args: argparse.Namespace) -> Results:
    with tempfile.TemporaryDirectory(prefix="treffpunkt-bench.") as tmp, redis_server() as redis_url:
        if args.sqlite:
            return _run(args, f"sqlite:///{tmp}/bench.sqlite3", redis_url, "SQLite")
        with postgres_server() as pg_url:
            return _run(args, pg_url, redis_url, "PostgreSQL 15")


def _run(args: argparse.Namespace, database_url: str, redis_url: str, label: str) -> Results:
    env = service_env(database_url, redis_url, signup_rate_limit="0")
    token = prepare_database(env)
    db = Database(database_url)
    print(f"{label}: signing up {args.people:,} people through treffpunkt web --workers 2 (no worker)", file=sys.stderr)
    with treffpunkt_web(env, workers=2) as port:
        session_ids = create_cafes(port, token)
        started = time.monotonic()
        statuses = asyncio.run(
            _sign_up_all(port, session_ids, args.people, args.signup_concurrency, started + args.signup_timeout)
        )
        signup_seconds = time.monotonic() - started
    counts_after_signup = db.outbox_counts()
    dropped = _hold_confirmations_and_flush(db, redis_url)
    print(f"sign-ups: {dict(statuses)} in {signup_seconds:.0f} s", file=sys.stderr)

    common: dict[str, Any] = {
        "timeout": args.timeout,
        "grace": args.grace,
        "py_spy": args.py_spy,
        "py_spy_keep": args.py_spy_keep,
        "peers": Peers.find(database_url, redis_url),
    }
    runs = [run_worker("one `treffpunkt worker`", env, db, "reminder_day_before", poll_delay=None, **common)]
    if args.what_if_poll_delay:
        what_if = max(0, min(args.what_if_messages, args.people - args.profile))
        db.execute(
            "UPDATE outbox_message SET not_before = created_at WHERE id IN (SELECT id FROM outbox_message "
            f"WHERE kind = 'reminder_two_hours' AND status = 'pending' ORDER BY id LIMIT {what_if})"
        )
        what_if_label = f"what-if: the same worker with arq `poll_delay={args.what_if_poll_delay:g}` s"
        runs.append(
            run_worker(what_if_label, env, db, "reminder_two_hours", poll_delay=args.what_if_poll_delay, **common)
        )
    counts_after_runs = db.outbox_counts()

    baseline = baseline_pooled = None
    if runs[0].raw:
        print(f"baseline: {len(runs[0].raw):,} raw aiosmtplib sends, {MAX_JOBS} at a time", file=sys.stderr)
        baseline = run_baseline(runs[0].raw, MAX_JOBS)
        print(f"baseline: the same with {MAX_JOBS} open aiosmtplib connections", file=sys.stderr)
        baseline_pooled = run_baseline_pooled(runs[0].raw, MAX_JOBS)
    profile = None
    if args.profile:
        print(f"profile: deliver() on {args.profile} two-hour reminders in-process", file=sys.stderr)
        try:
            profile = run_profile(env, db, args.profile)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:  # keep the measured results
            print(f"profile failed: {error}", file=sys.stderr)
            profile = {"error": str(error)[-500:]}
    return Results(
        database=label,
        people=args.people,
        signup_statuses=dict(statuses),
        signup_seconds=signup_seconds,
        counts_after_signup=counts_after_signup,
        doorbell_jobs_dropped=dropped,
        runs=runs,
        counts_after_runs=counts_after_runs,
        baseline=baseline,
        baseline_pooled=baseline_pooled,
        profile=profile,
    )


# --- the report --------------------------------------------------------------------------------


def _versions() -> str:
    names = ("arq", "aiosmtplib", "aiosmtpd", "uvloop", "piccolo", "asyncpg", "redis")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def _counts(counts: dict[tuple[str, str], int]) -> str:
    return ", ".join(f"{kind} {status} {n:,}" for (kind, status), n in sorted(counts.items()))


def report(r: Results) -> str:
    b = r.baseline
    requests = sum(r.signup_statuses.values())
    lines = [
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}, {_versions()}; database: {r.database}; load average (1, 5, 15 min) "
        f"{', '.join(f'{x:.1f}' for x in r.load_before)} at the start, {', '.join(f'{x:.1f}' for x in r.load_after)} "
        "at the end",
        "",
        f"Sign-ups: {requests:,} requests in {r.signup_seconds:.0f} s ({requests / r.signup_seconds:.0f}/s), "
        f"answers {r.signup_statuses}; outbox after them: {_counts(r.counts_after_signup)}; "
        f"doorbell jobs dropped from Redis: {r.doorbell_jobs_dropped:,}",
        "",
        "| run | messages | seconds | messages/s | ratio to baseline |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    base = b.rate if b else 0.0

    def row(name: str, messages: int, seconds: float, rate: float) -> None:
        ratio = f"{rate / base:.2f}" if base else "–"
        lines.append(f"| {name} | {messages:,} | {seconds:.1f} | {rate:,.0f} | {ratio} |")

    for w in r.runs:
        status = " (TIMED OUT)" if w.timed_out else ""
        row(f"{w.label}, spawn → last message{status}", w.received, w.seconds, w.rate)
        if len(w.times) > 1:
            row(f"{w.label}, first → last message", w.received, w.sending_seconds, w.steady_rate)
    if b:
        row(f"raw `aiosmtplib.send`, {MAX_JOBS} at a time (baseline)", b.messages, b.seconds, b.rate)
    if (bp := r.baseline_pooled) is not None:
        row(
            f"raw aiosmtplib, {MAX_JOBS} connections open all along, finished bytes (`sendmail`)",
            bp.messages,
            bp.seconds,
            bp.rate,
        )
    lines.append("")
    for w in r.runs:
        notes = []
        if w.times:
            notes.append(f"first message {w.times[0] - w.spawned_at:.2f} s after the worker was spawned")
            notes.append(f"messages per {SWEEP_EVERY_S} s since spawn: {windows(w.times, w.spawned_at)}")
        busy = w.machine_busy_s / w.machine_total_s if w.machine_total_s else 0.0
        sending = w.sending_seconds or 1e-9
        notes.append(
            f"worker CPU {w.worker_cpu_s:.1f} s in all; from the first message to the last "
            f"{w.worker_cpu_sending_s:.1f} s ({w.worker_cpu_sending_s / sending:.0%} of one core, "
            f"{w.worker_cpu_sending_s * 1000 / max(w.received - 1, 1):.2f} ms per message); sink {w.sink_cpu_s:.1f} s; "
            f"whole machine {busy:.0%} busy from the first message to the last ({os.cpu_count()} CPUs; "
            "PostgreSQL and other users included)"
        )
        per_message = {"worker": w.worker_cpu_sending_s, "SMTP sink": w.sink_cpu_sending_s, **w.peers_cpu_sending_s}
        notes.append(
            "CPU per message from the first message to the last (ms): "
            + ", ".join(f"{k} {v * 1000 / max(w.received - 1, 1):.2f}" for k, v in per_message.items())
            + f"; whole machine {w.machine_busy_s * 1000 / max(w.received - 1, 1):.2f} (other users included)"
        )
        if w.py_spy:
            spy = w.py_spy
            notes.append(
                f"py-spy ({spy['samples']:,} CPU samples of the worker, first → last message): "
                + ", ".join(f"{k} {v:.0%}" for k, v in spy["buckets"].items())
                + "; inside deliver()/deliver_block() (share of all samples): "
                + ", ".join(f"{k} {v:.0%}" for k, v in spy["steps"].items())
                + "; top leaf functions: "
                + ", ".join(f"`{k}` {v:.0%}" for k, v in spy["leaves"][:6])
            )
        notes += [f"{'OK' if ok else 'FAILED'}: {text}" for text, ok in w.checks]
        lines.append(f"{w.label}:")
        lines.append("")
        lines += [f"- {note}" for note in notes]
        lines.append("")
    lines.append(f"Outbox after the worker runs: {_counts(r.counts_after_runs)}")
    if b:
        lines += [
            "",
            f"Baseline: the sink received {b.received:,} ({b.distinct:,} distinct Message-IDs); client CPU "
            f"{b.client_cpu_s:.1f} s ({b.client_cpu_s * 1000 / b.messages:.2f} ms per message), "
            f"sink CPU {b.sink_cpu_s:.1f} s",
        ]
    if (bp := r.baseline_pooled) is not None:
        lines += [
            "",
            f"Baseline with open connections: the sink received {bp.received:,} ({bp.distinct:,} distinct "
            f"Message-IDs); client CPU {bp.client_cpu_s:.1f} s ({bp.client_cpu_s * 1000 / bp.messages:.2f} ms per "
            f"message), sink CPU {bp.sink_cpu_s:.1f} s",
        ]
    if r.profile and "error" in r.profile:
        lines += ["", f"Profile FAILED: {r.profile['error']}"]
    elif r.profile:
        p = r.profile
        lines += [
            "",
            f"Profile: `deliver_block()` on {p['messages']} two-hour reminders, one block after another in one process "
            f"(outcomes {p['outcomes']}, sink received {p['sink_received']}): {p['plain_ms']:.2f} ms per message "
            f"plain ({p['plain_cpu_ms']:.2f} ms of CPU in that process), {p['profiled_ms']:.2f} ms under cProfile.",
            "",
            "Time per message inside each step (cProfile, cumulative, ms): "
            + ", ".join(f"{k} {v:.2f}" for k, v in sorted(p["stages_ms"].items(), key=lambda kv: -kv[1])),
            "",
            "Own time per message by library (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in p["libraries_ms"]),
            "",
            "| function | own ms/msg | cumulative ms/msg | calls/msg |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [f"| `{name}` | {tt:.3f} | {ct:.3f} | {nc:.1f} |" for name, tt, ct, nc in p["top_ms"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of a throw-away PostgreSQL 15")
    parser.add_argument("--people", type=int, default=10_000, help="sign-ups = reminders measured (default 10,000)")
    parser.add_argument("--timeout", type=float, default=600, help="give each worker run up after this many seconds")
    parser.add_argument("--grace", type=float, default=6, help="seconds to watch for duplicates after the last message")
    parser.add_argument("--signup-concurrency", type=int, default=32)
    parser.add_argument(
        "--signup-timeout", type=float, default=600, help="give the sign-ups up after this many seconds"
    )
    parser.add_argument("--profile", type=int, default=400, help="messages for the in-process profile (0: none)")
    parser.add_argument(
        "--what-if-poll-delay",
        type=float,
        default=0.0,
        help="also run the same worker with this arq poll_delay on the two-hour reminders (0: skip)",
    )
    parser.add_argument("--what-if-messages", type=int, default=3000, help="two-hour reminders for the what-if run")
    parser.add_argument("--py-spy", action="store_true", help="sample the worker with py-spy while it sends")
    parser.add_argument(
        "--py-spy-keep", type=Path, default=None, help="with --py-spy: keep py-spy's raw output in this directory"
    )
    parser.add_argument("--profile-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-child-poll-delay", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_child is not None:
        try:  # the event loop the worker runs on
            import uvloop
        except ImportError:
            print(json.dumps(asyncio.run(_profile_child(args.profile_child))))
        else:
            print(json.dumps(uvloop.run(_profile_child(args.profile_child))))
        return
    if args.worker_child_poll_delay is not None:
        _worker_child(args.worker_child_poll_delay)
        return
    if args.people < 1 or not 0 <= args.profile <= args.people:
        parser.error("--people must be positive and --profile at most --people")
    install_signal_handlers()
    load_before = os.getloadavg()
    results = run(args)
    results.load_before, results.load_after = load_before, os.getloadavg()
    print()
    print(report(results))
    if not results.ok:
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: every process this benchmark started is stopped", file=sys.stderr)
        sys.exit(130)
