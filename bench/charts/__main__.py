"""``python -m bench.charts RESULTS.json [MORE.json ...] --out DIR``: (re)draw the benchmarks' charts.

docs/performance.md's figures are made with
``python -m bench.charts docs/performance/*.json --out docs/performance`` from the committed JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.charts import NotABenchmark, write_charts_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.charts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("results", type=Path, nargs="+", help="JSON written by a pigw benchmark")
    parser.add_argument("--out", type=Path, required=True, help="folder for the SVG files")
    args = parser.parse_args(argv)
    for path in args.results:
        try:
            written = write_charts_of(path, args.out)
        except (OSError, json.JSONDecodeError, NotABenchmark, KeyError) as error:
            print(f"pigw-charts: {path}: {error}", file=sys.stderr)
            return 2
        for file in written:
            print(file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
