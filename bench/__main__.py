"""``pigw-bench``: the fan-out benchmark of issues 4 and 7 (``make bench`` runs it, then the agent's).

    .venv/bin/python -m bench                 # the full run: 1, 100 and 1,000 clients, 3 runs
    .venv/bin/python -m bench --quick         # a smoke run in seconds
    .venv/bin/python -m bench --clients 100 --systems floor pigw --runs 5 --json out.json

For every client count and every system (the plain MQTT subscriber floor, the textbook FastAPI +
sse-starlette server, Node-RED if asked for, pigw) it starts a fresh Mosquitto and the server, opens
the clients from separate reader processes, steps the publish rate until a step misses (p99 above
100 ms or anything lost), and prints every step; at the end, the medians over the runs as issue 7's
table and issue 4's figures, with ratios to the floor measured in the same run. ``docs/performance.md``
explains the method and the results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

import uvloop

from bench.charts import write_charts_of
from bench.gateway import report, systems
from bench.gateway.run import SystemRun, run_system
from bench.gateway.systems import SYSTEMS
from bench.provenance import add_load_at_end, provenance

#: Rates (msg/s) stepped per client count; deliveries/s = rate x clients.
SCHEDULES: dict[int, list[float]] = {
    1: [100, 1000, 2000, 4000, 8000],
    100: [100, 250, 500, 1000, 1500, 2000, 3000, 4000],
    1000: [50, 100, 200, 300, 400, 600, 800, 1000, 1200, 1600],
}


def schedule(clients: int, quick: bool) -> list[float]:
    if quick:
        return [100.0]
    if clients in SCHEDULES:
        return SCHEDULES[clients]
    # Other counts: aim at the same deliveries/s as the 100-client schedule.
    return [max(10.0, rate * 100 / clients) for rate in SCHEDULES[100]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few clients, one step")
    parser.add_argument("--clients", type=int, nargs="+", help="client counts (1 100 1000)")
    parser.add_argument("--rates", type=float, nargs="+", help="msg/s steps for every count")
    parser.add_argument("--duration", type=float, help="seconds of publishing per step (5)")
    parser.add_argument("--runs", type=int, help="repeat everything; medians are reported (3)")
    parser.add_argument(
        "--systems",
        nargs="+",
        choices=SYSTEMS,
        help="what to measure (default: floor textbook nodered pigw pigw-recorder; --quick: "
        "floor textbook pigw pigw-recorder). pigw runs without a history store, pigw-recorder "
        "with a SQLite one. nodered installs Node-RED from npm into a cache folder on first use",
    )
    parser.add_argument("--clients-per-reader", type=int, default=1000, help="per reader process")
    parser.add_argument(
        "--floor-qos", choices=["0", "1"], default="1", help="the floor subscribers' QoS (1)"
    )
    parser.add_argument(
        "--broker-nodelay",
        action="store_true",
        help="add set_tcp_nodelay true to the brokers' config (Mosquitto's default is off)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        help="also write every step and the summary here, and the charts next to it "
        "(make bench: .run/bench/fanout.json)",
    )
    args = parser.parse_args(argv)
    args.systems = args.systems or (
        ["floor", "textbook", "pigw", "pigw-recorder"]
        if args.quick
        else ["floor", "textbook", "nodered", "pigw", "pigw-recorder"]
    )
    args.clients = args.clients or ([1, 10] if args.quick else [1, 100, 1000])
    args.duration = args.duration or (1.0 if args.quick else 5.0)
    args.runs = args.runs or (1 if args.quick else 3)
    return args


async def run_all(args: argparse.Namespace, workdir: Path) -> list[SystemRun]:
    runs: list[SystemRun] = []
    # SIGTERM (a CI timeout, kill) ends the run like Ctrl-C does: cancelled, so every system's
    # clean-up runs and no broker or server is left behind.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)

    def log(item: object) -> None:
        print(report.step_line(item) if not isinstance(item, str) else f"  ! {item}", flush=True)  # type: ignore[arg-type]

    print(report.STEP_HEADER, flush=True)
    for index in range(args.runs):
        for clients in args.clients:
            rates = args.rates or schedule(clients, args.quick)
            for system in args.systems:  # interleaved, so noise falls on every system alike
                where = workdir / f"run{index}"
                runs.append(
                    await run_system(
                        system,
                        clients,
                        rates=rates,
                        duration=args.duration,
                        workdir=where,
                        clients_per_reader=args.clients_per_reader,
                        log=log,
                    )
                )
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    systems.OPTIONS["floor_qos"] = args.floor_qos
    systems.OPTIONS["broker_extra"] = "set_tcp_nodelay true\n" if args.broker_nodelay else ""
    started = time.monotonic()
    where_and_when = provenance()  # taken at the start: the date is the run's, not the report's
    with tempfile.TemporaryDirectory(prefix="pigw-bench-") as tmp:
        runs = uvloop.run(run_all(args, Path(tmp)))
    where_and_when = add_load_at_end(where_and_when)
    summary = report.summarise(runs)
    print(report.tables(summary, args.systems))
    print(f"\n{time.monotonic() - started:.0f} s in all", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "provenance": where_and_when,
                    "args": {
                        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                    },
                    "runs": [run.to_json() for run in runs],
                    "summary": [
                        {"system": system, "clients": clients, **values}
                        for (system, clients), values in summary.items()
                    ],
                },
                indent=1,
            )
        )
        # The charts of issue 20 next to the JSON; `python -m bench.charts` redraws them.
        for chart in write_charts_of(args.json, args.json.parent):
            print(f"chart: {chart}", flush=True)
    return 1 if any(run.error for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
