"""Node-RED as the peer baseline: an ``mqtt in`` node wired to a ``websocket out`` node.

This is what a Node-RED user builds to push MQTT readings to browsers. Node-RED is installed from
the npm registry (``npm install node-red@4``) into a cache folder the first time
(``$PIGW_BENCH_CACHE`` or ``~/.cache/pigw-bench``), then reused. Its editor and admin API are off
(``httpAdminRoot: false``) so the process carries only the flow; the ``mqtt in`` node subscribes at
QoS 1 and forwards each payload as a string (no JSON parse and re-encode), and ``websocket out``
sends it to every connected client as one text frame.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

from tests.support.processes import ManagedProcess

WS_PATH: Final = "/ws/bench"
READY_PATH: Final = "/bench-ready"
VERSION: Final = "4"


def cache_dir() -> Path:
    return Path(os.environ.get("PIGW_BENCH_CACHE", Path.home() / ".cache" / "pigw-bench"))


def install() -> Path:
    """The Node-RED entry script, installing it first if needed (npm, at most 10 minutes)."""
    folder = cache_dir() / "node-red"
    red = folder / "node_modules" / "node-red" / "red.js"
    if red.is_file():
        return red
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("Node-RED needs npm (apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"name": "pigw-bench-node-red", "private": true}\n')
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--omit=dev", f"node-red@{VERSION}"],
        cwd=folder,
        check=True,
        timeout=600,
        stdout=subprocess.DEVNULL,
    )
    return red


def flow(mqtt_port: int) -> list[dict[str, object]]:
    broker = {
        "id": "broker",
        "type": "mqtt-broker",
        "name": "bench",
        "broker": "127.0.0.1",
        "port": str(mqtt_port),
        "clientid": "node-red-bench",
        "autoConnect": True,
        "usetls": False,
        "protocolVersion": "4",
        "keepalive": "60",
        "cleansession": True,
    }
    listener = {
        "id": "listener",
        "type": "websocket-listener",
        "path": WS_PATH,
        "wholemsg": "false",
    }
    return [
        {"id": "tab", "type": "tab", "label": "bench"},
        broker,
        listener,
        {
            "id": "in",
            "type": "mqtt in",
            "z": "tab",
            "topic": "pigw/bench/+/state",
            "qos": "1",
            "datatype": "utf8",
            "broker": "broker",
            "nl": False,
            "rap": True,
            "rh": 0,
            "inputs": 0,
            "wires": [["out"]],
        },
        {"id": "out", "type": "websocket out", "z": "tab", "server": "listener", "client": ""},
        {
            "id": "ready",
            "type": "http in",
            "z": "tab",
            "url": READY_PATH,
            "method": "get",
            "wires": [["ready-ok"]],
        },
        {"id": "ready-ok", "type": "http response", "z": "tab", "statusCode": "200"},
    ]


def start(mqtt_port: int, http_port: int, workdir: Path) -> ManagedProcess:
    red = install()
    node = shutil.which("node") or "node"
    user_dir = workdir / "node-red"
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "flows.json").write_text(json.dumps(flow(mqtt_port)))
    (user_dir / "settings.js").write_text(
        "module.exports = {\n"
        f"  uiPort: {http_port},\n"
        '  uiHost: "127.0.0.1",\n'
        "  httpAdminRoot: false,\n"
        '  flowFile: "flows.json",\n'
        '  logging: { console: { level: "warn" } },\n'
        "};\n"
    )
    argv = [node, str(red), "--userDir", str(user_dir), "--settings", str(user_dir / "settings.js")]
    return ManagedProcess(argv, workdir / "node-red.log").start()
