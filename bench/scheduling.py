"""Scheduling benchmarks: expanding recurrence rules, and listing 10,000 sessions through the API.

(a) Recurrence, pure Python, no database: 1,000 weekly series (mostly Europe/Berlin, some
    other zones, varied weekdays and start times) expanded over one year with
    ``scheduling.recurrence.build_schedule(...)`` and ``Schedule.occurrences(until=...)``.
    Baseline, same run: plain ``dateutil.rrule`` producing the same occurrences in naive
    local time, without any zone conversion. A middle row adds only the zoneinfo → UTC
    conversion to the baseline, to split our overhead into "time zones" and "the rest".
    Rounds are interleaved; the fastest round of each is reported (pure CPU work: noise from
    other work on the machine only ever adds time).

(b) Listing through the real service: ``treffpunkt web --workers 1`` against a fresh SQLite
    file (or, with ``--postgres``, a throw-away PostgreSQL 15), with its own redis-server.
    40 daily café series with COUNT=250 give 10,000 sessions. Timed: paging through all of
    them with ``GET /api/v1/sessions?from=2020-01-01&limit=500&offset=…`` (20 requests) and
    ``GET /api/v1/activities/{id}/sessions`` for each series (40 requests). Baseline, same
    server and run: the same number of ``GET /health`` requests, each timed request paired
    with a ``/health`` request just before it. One keep-alive connection, one request at a
    time (this measures the cost per request, not throughput).

Usage: ``.venv/bin/python bench/scheduling.py [--postgres] [--rounds 7] [--recurrence-rounds 9]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from dateutil.rrule import FR, MO, SA, SU, TH, TU, WE, WEEKLY, rrule

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``scheduling`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    Api,
    install_signal_handlers,
    machine_line,
    median,
    postgres_server,
    prepare_database,
    redis_server,
    service_env,
    treffpunkt_web,
)
from scheduling.recurrence import Schedule, build_schedule, to_utc

# --- (a) recurrence ------------------------------------------------------------------------

SERIES = 1000
OTHER_ZONES = ("Europe/Istanbul", "Asia/Kabul", "Europe/Kyiv", "America/New_York", "Africa/Lagos", "UTC")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DATEUTIL_DAYS = (MO, TU, WE, TH, FR, SA, SU)


@dataclass(frozen=True)
class Series:
    zone: str
    start: datetime  # naive local, as typed
    day: int  # 0 = Monday

    @property
    def rrule_text(self) -> str:
        return f"FREQ=WEEKLY;BYDAY={DAYS[self.day]}"

    @property
    def until_local(self) -> datetime:
        return self.start + timedelta(days=365)


def make_series() -> list[Series]:
    """Deterministic: 70 % Europe/Berlin, the rest spread over six other zones."""
    result = []
    for i in range(SERIES):
        zone = "Europe/Berlin" if i % 10 < 7 else OTHER_ZONES[i % len(OTHER_ZONES)]
        start = datetime(2026, 1, 5, 8 + i % 12, (i * 15) % 60) + timedelta(days=i % 28)
        result.append(Series(zone, start, day=(i * 3) % 7))
    return result


def baseline_naive(series: list[Series], _built: list[Schedule]) -> int:
    total = 0
    for s in series:
        total += len(list(rrule(WEEKLY, dtstart=s.start, byweekday=DATEUTIL_DAYS[s.day], until=s.until_local)))
    return total


def dateutil_plus_zones(series: list[Series], built: list[Schedule]) -> int:
    total = 0
    for s, schedule in zip(series, built, strict=True):
        rule = rrule(WEEKLY, dtstart=s.start, byweekday=DATEUTIL_DAYS[s.day], until=s.until_local)
        total += len([to_utc(local, schedule.zone) for local in rule])
    return total


def until_utc(s: Series, schedule: Schedule) -> datetime:
    return to_utc(s.until_local, schedule.zone)


def occurrences_only(series: list[Series], built: list[Schedule]) -> int:
    return sum(len(b.occurrences(until=until_utc(s, b))) for s, b in zip(series, built, strict=True))


def build(s: Series) -> Schedule:
    return build_schedule(
        timezone=s.zone, start=s.start.strftime("%Y-%m-%dT%H:%M"), duration_minutes=120, rrule_text=s.rrule_text
    )


def build_and_expand(series: list[Series], built: list[Schedule]) -> int:
    total = 0
    for s, b in zip(series, built, strict=True):
        total += len(build(s).occurrences(until=until_utc(s, b)))
    return total


def bench_recurrence(rounds: int) -> str:
    series = make_series()
    built = [build(s) for s in series]
    cases: list[tuple[str, Callable[[list[Series], list[Schedule]], int]]] = [
        ("`dateutil.rrule`, naive local time (baseline)", baseline_naive),
        ("`dateutil.rrule` + zoneinfo → UTC per occurrence (reference)", dateutil_plus_zones),
        ("`Schedule.occurrences(until=…)` on built schedules", occurrences_only),
        ("`build_schedule(…)` + `.occurrences(until=…)`", build_and_expand),
    ]
    counts = {name: fn(series, built) for name, fn in cases}  # warm-up, and the counts must agree
    if len(set(counts.values())) != 1:
        raise RuntimeError(f"the expansions disagree: {counts}")
    occurrences = next(iter(counts.values()))
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(rounds):
        for name, fn in cases:
            started = time.perf_counter()
            fn(series, built)
            times[name].append(time.perf_counter() - started)
    base = min(times[cases[0][0]])
    zones = sum(1 for s in series if s.zone == "Europe/Berlin")
    lines = [
        f"{SERIES:,} weekly series ({zones} in Europe/Berlin), one year each: {occurrences:,} occurrences; "
        f"fastest of {rounds} interleaved rounds\n",
        "| expansion | ms per round | µs per occurrence | ratio to baseline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, _ in cases:
        t = min(times[name])
        lines.append(f"| {name} | {t * 1e3:,.1f} | {t / occurrences * 1e6:.2f} | {t / base:.2f} |")
    return "\n".join(lines)


# --- (b) listing through the API ------------------------------------------------------------

ACTIVITIES = 40
PER_ACTIVITY = 250
PAGE = 500


def create_activities(api: Api) -> tuple[list[int], float]:
    """40 daily café series, COUNT=250 each; returns their ids and the median seconds per POST."""
    ids, times = [], []
    for i in range(ACTIVITIES):
        body = {
            "kind": "cafe",
            "title": {"de": f"Sprachcafé {i + 1}", "en": f"Language café {i + 1}"},
            "start": (datetime(2027, 1, 4, 9 + i % 10, (i * 15) % 60) + timedelta(days=i % 7)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "rrule": f"FREQ=DAILY;COUNT={PER_ACTIVITY}",
            "capacity": None,
            "languages": ["de", "en"],
            "venue": {"name": "Nachbarschaftshaus", "address": "Lindenstraße 5, Berlin"},
        }
        started = time.perf_counter()
        created = api.json("POST", "/api/v1/activities", body, expect=201)
        times.append(time.perf_counter() - started)
        ids.append(int(created["id"]))
    return ids, median(times)


def page_paths() -> list[str]:
    total = ACTIVITIES * PER_ACTIVITY
    return [f"/api/v1/sessions?from=2020-01-01&limit={PAGE}&offset={offset}" for offset in range(0, total, PAGE)]


def fetch_all(api: Api, paths: list[str]) -> tuple[float, list[float], list[bytes]]:
    """GET each path in turn; total seconds, seconds per request, bodies."""
    per_request, bodies = [], []
    started = time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        status, body = api.request("GET", path)
        per_request.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        bodies.append(body)
    return time.perf_counter() - started, per_request, bodies


def paired(api: Api, paths: list[str]) -> tuple[list[float], list[float]]:
    """For each path: time ``GET /health``, then ``GET path``; both lists of seconds.

    Pairing request by request means the baseline and the measured request see the same
    moment of a noisy machine, which whole blocks of one then the other do not.
    """
    health, target = [], []
    for path in paths:
        health.append(fetch_all(api, ["/health"])[0])
        target.append(fetch_all(api, [path])[0])
    return health, target


def check_listing(pages: list[Any], per_activity: list[Any], ids: list[int]) -> None:
    import json

    listed = [item for body in pages for item in json.loads(body)]
    session_ids = [item["id"] for item in listed]
    expected = ACTIVITIES * PER_ACTIVITY
    if len(session_ids) != expected or len(set(session_ids)) != expected:
        distinct = len(set(session_ids))
        raise RuntimeError(f"paging gave {len(session_ids)} sessions ({distinct} distinct), not {expected}")
    starts = [item["starts_at"] for item in listed]
    if starts != sorted(starts):
        raise RuntimeError("paged sessions are not in time order")
    for activity_id, body in zip(ids, per_activity, strict=True):
        rows = json.loads(body)
        if len(rows) != PER_ACTIVITY or any(r["activity_id"] != activity_id for r in rows):
            raise RuntimeError(f"activity {activity_id}: {len(rows)} sessions, expected {PER_ACTIVITY}")


def bench_listing(database: str, rounds: int) -> str:
    with TemporaryDirectory(prefix="treffpunkt-bench.") as tmp, redis_server() as redis_url:
        if database == "postgres":
            with postgres_server() as url:
                return _listing(service_env(url, redis_url), "PostgreSQL 15", rounds)
        return _listing(service_env(f"sqlite:///{tmp}/b.sqlite3", redis_url), "SQLite", rounds)


def _listing(env: dict[str, str], label: str, rounds: int) -> str:
    token = prepare_database(env)
    with treffpunkt_web(env, workers=1) as port:
        api = Api(port, token)
        try:
            print(f"{label}: creating {ACTIVITIES} series of {PER_ACTIVITY} sessions", file=sys.stderr)
            ids, create_s = create_activities(api)
            pages = page_paths()
            per_activity = [f"/api/v1/activities/{i}/sessions" for i in ids]
            # warm-up pass, which is also the correctness check
            health_create = median(fetch_all(api, ["/health"] * ACTIVITIES)[1])
            _, _, page_bodies = fetch_all(api, pages)
            _, _, activity_bodies = fetch_all(api, per_activity)
            check_listing(page_bodies, activity_bodies, ids)
            results: dict[str, list[float]] = {k: [] for k in ("h20", "pages", "h40", "acts", "first", "last")}
            ratios: dict[str, list[float]] = {"pages": [], "acts": []}
            for _ in range(rounds):
                health, each = paired(api, pages)
                results["h20"].append(sum(health))
                results["pages"].append(sum(each))
                ratios["pages"].append(sum(each) / sum(health))
                results["first"].append(each[0])
                results["last"].append(each[-1])
                health, each = paired(api, per_activity)
                results["h40"].append(sum(health))
                results["acts"].append(sum(each))
                ratios["acts"].append(sum(each) / sum(health))
        finally:
            api.close()
    m = {k: median(v) for k, v in results.items()}
    r = {k: median(v) for k, v in ratios.items()}
    spread = {k: f"{min(v):.1f}–{max(v):.1f}" for k, v in ratios.items()}
    n_pages, n_acts = len(pages), len(per_activity)
    return "\n".join(
        [
            f"{label}, `treffpunkt web --workers 1`, {ACTIVITIES * PER_ACTIVITY:,} sessions; {rounds} rounds, "
            "each request paired with a `/health` request just before it; medians over the rounds "
            "(ratio: median of the per-round ratios, range in brackets); one keep-alive connection\n",
            "| requests | count | ms total | ms per request | ratio to `/health` |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| `GET /health` (baseline for the pages) | {n_pages} | {m['h20'] * 1e3:,.1f} "
            f"| {m['h20'] / n_pages * 1e3:.2f} | 1.00 |",
            f"| `GET /api/v1/sessions?from=2020-01-01&limit={PAGE}&offset=…` | {n_pages} | {m['pages'] * 1e3:,.1f} "
            f"| {m['pages'] / n_pages * 1e3:.2f} | {r['pages']:.1f} ({spread['pages']}) |",
            f"| `GET /health` (baseline for the series) | {n_acts} | {m['h40'] * 1e3:,.1f} "
            f"| {m['h40'] / n_acts * 1e3:.2f} | 1.00 |",
            f"| `GET /api/v1/activities/{{id}}/sessions` ({PER_ACTIVITY} each) | {n_acts} | {m['acts'] * 1e3:,.1f} "
            f"| {m['acts'] / n_acts * 1e3:.2f} | {r['acts']:.1f} ({spread['acts']}) |",
            "",
            f"First page (offset 0) {m['first'] * 1e3:.1f} ms, last page (offset {(n_pages - 1) * PAGE:,}) "
            f"{m['last'] * 1e3:.1f} ms (ratio {m['last'] / m['first']:.2f}). Creating one series of "
            f"{PER_ACTIVITY} sessions (`POST /api/v1/activities`): {create_s * 1e3:.0f} ms, "
            f"{create_s / health_create:.0f}× a `/health` request (median of {ACTIVITIES}, measured once).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--postgres", action="store_true", help="list from a throw-away PostgreSQL 15, not SQLite")
    parser.add_argument("--rounds", type=int, default=7, help="timed listing rounds (default 7)")
    parser.add_argument("--recurrence-rounds", type=int, default=9, help="timed recurrence rounds (default 9)")
    parser.add_argument("--skip-recurrence", action="store_true", help="only the API listing")
    args = parser.parse_args()
    install_signal_handlers()
    print(machine_line() + "\n")
    if not args.skip_recurrence:
        print("(a) recurrence\n")
        print(bench_recurrence(args.recurrence_rounds) + "\n", flush=True)
    print("(b) listing sessions through the API\n")
    print(bench_listing("postgres" if args.postgres else "sqlite", args.rounds))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: every process this benchmark started is stopped", file=sys.stderr)
        sys.exit(130)
