"""InfluxDB 1.x (Debian's ``influxdb``) as the benchmark's anchor: a private server from a temp
config on free loopback ports, fed over its HTTP line protocol, queried with InfluxQL."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.support.ports import free_port
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until


class Influx:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.rpc_port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        config = subprocess.run(
            ["influxd", "config"], check=True, capture_output=True, text=True
        ).stdout
        config = re.sub(r'^bind-address = ".*"$', f'bind-address = "127.0.0.1:{self.rpc_port}"',
                        config, count=1, flags=re.M)  # fmt: skip
        config = re.sub(r'(\[http\][^\[]*?bind-address = )"[^"]*"',
                        rf'\1"127.0.0.1:{self.port}"', config, count=1, flags=re.S)  # fmt: skip
        config = config.replace('"/var/lib/influxdb/meta"', f'"{folder / "meta"}"')
        config = config.replace('"/var/lib/influxdb/data"', f'"{folder / "data"}"')
        config = config.replace('"/var/lib/influxdb/wal"', f'"{folder / "wal"}"')
        config = config.replace("store-enabled = true", "store-enabled = false")
        config = config.replace("query-log-enabled = true", "query-log-enabled = false")
        config = config.replace("  log-enabled = true", "  log-enabled = false")
        (folder / "influxdb.conf").write_text(config)
        self.process = ManagedProcess(
            ["influxd", "-config", str(folder / "influxdb.conf")], folder / "influxd.log"
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Influx:
        self.process.start()
        wait_until(self._pings, 30, "influxd to answer /ping")
        self.query("CREATE DATABASE bench", post=True)
        return self

    def _pings(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/ping", timeout=1) as response:  # noqa: S310
                return bool(response.status == 204)
        except OSError:
            return False

    def stop(self) -> None:
        self.process.stop()

    def write(self, lines: bytes) -> None:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.base}/write?db=bench&precision=ms", data=lines, method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            if response.status != 204:
                raise RuntimeError(f"influx write: {response.status}")

    def query(self, q: str, *, post: bool = False) -> bytes:
        data = urllib.parse.urlencode({"q": q, "db": "bench", "epoch": "ms"})
        if post:
            request = urllib.request.Request(  # noqa: S310 - loopback
                f"{self.base}/query", data=data.encode(), method="POST"
            )
        else:
            request = urllib.request.Request(f"{self.base}/query?{data}")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
                body: bytes = response.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"InfluxQL {q!r}: {exc.code} {exc.read()[:300]!r}") from exc
        return body

    def rows(self, q: str) -> int:
        doc = json.loads(self.query(q))
        series = doc["results"][0].get("series", [])
        return sum(len(s["values"]) for s in series)

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.folder).rglob("*") if p.is_file()
                   and p.parent.name != self.folder.name)  # fmt: skip
