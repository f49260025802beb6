"""``python -m bench.recorder``: the recorder's figures beside InfluxDB 1.x, in one run (issue 14).

    .venv/bin/python -m bench.recorder                  # 30 days at 1 reading/s (2.6 M readings)
    .venv/bin/python -m bench.recorder --days 2 --runs 3 --json out.json
    .venv/bin/python -m bench.recorder --quick          # a smoke run in seconds

One sensor, one reading a second, ``--days`` long (30: 2,592,000 readings), built once and fed to
each store in batches of 5,000: pigw's SQLite store and PostgreSQL store through the store
interface the gateway uses (rollups kept in the same transactions), InfluxDB over its HTTP line
protocol. Then, ``--runs`` times each: the last 24 h raw (86,400 readings; pigw's figure includes
encoding the route's JSON with the route's own code, ``HistoryStore.readings_json`` and
``raw_json.envelope``; InfluxDB's is its JSON answer over HTTP) and the whole window at
``step=auto`` (pigw: the 1-hour buckets; InfluxDB: ``GROUP BY time(1h)`` with mean/min/max/last/
count). Bytes on disk per reading from each store's files. Medians are printed and, with
``--json``, written flat (the shape is documented in ``docs/history.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.recorder.influx import Influx
from gateway.recorder.postgres_store import PostgresStore
from gateway.recorder.raw_json import envelope
from gateway.recorder.records import PointRef, Reading, Tier, iso_ms
from gateway.recorder.sqlite_store import SqliteStore
from gateway.recorder.store import HistoryStore
from tests.support.postgres import PostgresServer

T0 = 1_764_547_200_000  # 2025-12-01T00:00:00Z
DAY_MS = 86_400_000
BATCH = 5_000
REF = PointRef("bench", "sensor", "temp")


def build(days: float) -> list[Reading]:
    count = int(days * 86_400)
    return [
        Reading("bench", "temp", "sensor", seq, T0 + seq * 1000, 20.0 + (seq % 600) / 100)
        for seq in range(count)
    ]


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


async def timed(runs: int, job: Callable[[], Awaitable[object]]) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        await job()
        out.append(time.perf_counter() - start)
    return out


async def bench_store(
    name: str, store: HistoryStore, readings: list[Reading], runs: int, disk: Callable[[], Any]
) -> dict[str, Any]:
    await store.open()
    try:
        start = time.perf_counter()
        for i in range(0, len(readings), BATCH):
            await store.write(readings[i : i + BATCH])
        ingest_s = time.perf_counter() - start
        end = readings[-1].ts_ms
        day_start = end - DAY_MS + 1

        async def raw_json() -> None:
            # the route's own path (gateway/api/history.py): the store's readings array as text,
            # spliced into the envelope; the ring merge has nothing to add here
            raw = await store.readings_json(REF, day_start, end, 100_000, end + 1)
            head = {"device": REF.device, REF.role: REF.point, "unit": "°C",
                    "from": iso_ms(day_start), "to": iso_ms(end), "step": Tier.RAW.value}  # fmt: skip
            envelope(head, raw.text, raw.truncated)

        async def auto() -> None:
            got, _ = await store.buckets(REF, Tier.HOUR, T0, end, 2_000)
            json.dumps(
                {
                    "buckets": [
                        {"ts": iso_ms(b.ts_ms), "min": b.min, "max": b.max, "avg": b.avg,
                         "last": b.last, "count": b.count}
                        for b in got
                    ]
                }
            )  # fmt: skip

        raw_rows = len((await store.readings(REF, day_start, end, 100_000))[0])
        hour_rows = len((await store.buckets(REF, Tier.HOUR, T0, end, 2_000))[0])
        raw_samples = await timed(runs, raw_json)
        auto_samples = await timed(runs, auto)
        size = await disk()
    finally:
        await store.close()
    return {
        "store": name,
        "ingest_per_s": round(len(readings) / ingest_s),
        "ingest_s": round(ingest_s, 2),
        "raw_24h_ms": median_ms(raw_samples),
        "raw_24h_rows": raw_rows,
        "auto_window_ms": median_ms(auto_samples),
        "auto_window_rows": hour_rows,
        "bytes_on_disk": size,
        "bytes_per_reading": round(size / len(readings), 1),
    }


def bench_influx(folder: Path, readings: list[Reading], runs: int) -> dict[str, Any]:
    influx = Influx(folder).start()
    try:
        lines = [f"r,device=bench,point=temp value={r.value},seq={r.seq}i {r.ts_ms}".encode()
                 for r in readings]  # fmt: skip
        start = time.perf_counter()
        for i in range(0, len(lines), BATCH):
            influx.write(b"\n".join(lines[i : i + BATCH]))
        ingest_s = time.perf_counter() - start
        end = readings[-1].ts_ms
        raw_q = (
            "SELECT value, seq FROM r WHERE device='bench' AND point='temp' AND "  # noqa: S608
            f"time > {end - DAY_MS}ms AND time <= {end}ms"
        )
        auto_q = (
            "SELECT mean(value), min(value), max(value), last(value), count(value) FROM r "  # noqa: S608
            f"WHERE device='bench' AND point='temp' AND time >= {T0}ms AND time <= {end}ms "
            "GROUP BY time(1h)"
        )
        raw_rows = influx.rows(raw_q)
        auto_rows = influx.rows(auto_q)
        raw_samples, auto_samples = [], []
        for _ in range(runs):
            t = time.perf_counter()
            influx.query(raw_q)
            raw_samples.append(time.perf_counter() - t)
        for _ in range(runs):
            t = time.perf_counter()
            influx.query(auto_q)
            auto_samples.append(time.perf_counter() - t)
        size = influx.disk_bytes()
    finally:
        influx.stop()
    return {
        "store": "influxdb",
        "ingest_per_s": round(len(readings) / ingest_s),
        "ingest_s": round(ingest_s, 2),
        "raw_24h_ms": median_ms(raw_samples),
        "raw_24h_rows": raw_rows,
        "auto_window_ms": median_ms(auto_samples),
        "auto_window_rows": auto_rows,
        "bytes_on_disk": size,
        "bytes_per_reading": round(size / len(readings), 1),
    }


LABELS = {
    "pigw-sqlite": "pigw recorder (SQLite)",
    "pigw-postgresql": "pigw recorder (PostgreSQL)",
    "influxdb": "InfluxDB 1.x (anchor)",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.recorder", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--days", type=float, default=30.0, help="days at 1 reading/s (30)")
    parser.add_argument("--runs", type=int, default=7, help="repeats of each query (7)")
    parser.add_argument("--quick", action="store_true", help="2 days, 3 runs")
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql", "influxdb"],
                        choices=["sqlite", "postgresql", "influxdb"])  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the results here (flat JSON)")
    args = parser.parse_args(argv)
    if args.quick:
        args.days, args.runs = 2.0, 3
    return args


def commit() -> str | None:
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


async def run(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    readings = build(args.days)
    print(f"{len(readings):,} readings ({args.days:g} days at 1/s)", flush=True)
    results: list[dict[str, Any]] = []
    if "sqlite" in args.stores:
        path = work / "sqlite" / "history.db"
        store = SqliteStore(path)

        async def sqlite_disk() -> int:
            # the pages in use (what a checkpointed, vacuumed file would take)
            return (await store.health()).bytes_on_disk

        results.append(await bench_store("pigw-sqlite", store, readings, args.runs, sqlite_disk))
        print(results[-1], flush=True)
    if "postgresql" in args.stores:
        server = PostgresServer().start()
        try:
            url = server.create_database()
            pg = PostgresStore(url, description="bench")

            async def pg_disk() -> int:
                return (await pg.health()).bytes_on_disk

            results.append(await bench_store("pigw-postgresql", pg, readings, args.runs, pg_disk))
        finally:
            server.stop()
        print(results[-1], flush=True)
    if "influxdb" in args.stores:
        results.append(bench_influx(work / "influx", readings, args.runs))
        print(results[-1], flush=True)
    return results


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    by = {r["store"]: r for r in results}
    out: dict[str, Any] = {}
    influx = by.get("influxdb")
    for name in ("pigw-sqlite", "pigw-postgresql"):
        mine = by.get(name)
        if mine is None or influx is None:
            continue
        key = name.removeprefix("pigw-")
        out[f"{key}_ingest_vs_influx"] = round(mine["ingest_per_s"] / influx["ingest_per_s"], 2)
        out[f"{key}_auto_speedup_vs_influx"] = round(
            influx["auto_window_ms"] / mine["auto_window_ms"], 1
        )
        out[f"{key}_raw_24h_vs_influx"] = round(mine["raw_24h_ms"] / influx["raw_24h_ms"], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pigw-bench-recorder-") as folder:
        results = asyncio.run(run(args, Path(folder)))
    ratios = summary(results)
    print("\nstore               ingest/s   raw 24 h ms   auto ms   bytes/reading")
    for r in results:
        print(f"{r['store']:<18} {r['ingest_per_s']:>9,} {r['raw_24h_ms']:>12} "
              f"{r['auto_window_ms']:>9} {r['bytes_per_reading']:>14}")  # fmt: skip
    for key, value in ratios.items():
        print(f"{key}: {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "benchmark": "recorder",
            "provenance": {"machine": platform.node(), "python": sys.version.split()[0],
                           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "commit": commit(), "cpus": __import__("os").cpu_count()},
            "days": args.days,
            "readings": int(args.days * 86_400),
            "runs": args.runs,
            "batch": BATCH,
            "stores": [
                {**r, "label": LABELS[r["store"]],
                 "queries": {"raw, 24 h (ms)": r["raw_24h_ms"],
                             f"step=auto, {args.days:g} days (ms)": r["auto_window_ms"]}}
                for r in results
            ],
            "summary": ratios,
        }  # fmt: skip
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
