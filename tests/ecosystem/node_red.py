"""A real Node-RED for tests: installed from npm into a temporary folder, run headless on loopback.

* :func:`install_node_red` installs ``node-red@4`` with npm into a folder of the test run (issue 9:
  a fresh install every run, so a broken release or a changed dependency shows up here first);
  about 10 to 60 s, less when npm's download cache is warm.
* :class:`NodeRed` runs ``red.js`` with a ``settings.js`` of its own (loopback, a free port, no
  credential secret prompt, no telemetry, console logging) and a flow file given as data.
* :func:`editor_comms` watches what the Node-RED editor would show — debug-node output and node
  status — over the admin websocket (``<httpAdminRoot>comms``), so the flow under test needs no
  test-only nodes.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.ports import free_port, wait_for_port
from tests.support.processes import REPO, ManagedProcess
from tests.support.waiting import wait_until

EXAMPLE_FLOW = REPO / "docs" / "node-red" / "pigw-example-flow.json"
NODE_RED_SPEC = "node-red@4"
INSTALL_TIMEOUT = 240.0

Flow = list[dict[str, Any]]


def load_example_flow() -> Flow:
    flow: Flow = json.loads(EXAMPLE_FLOW.read_text(encoding="utf-8"))
    return flow


def install_node_red(folder: Path) -> Path:
    """Install Node-RED 4 from npm into ``folder`` (fresh; npm's own download cache makes a repeat
    quick) and return the path of its ``red.js``."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssertionError(
            "npm is not installed: `make test` installs it (scripts/ensure-system-deps.sh)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", NODE_RED_SPEC],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"npm install {NODE_RED_SPEC} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return folder / "node_modules" / "node-red" / "red.js"


def flow_for(flow: Flow, broker_port: int, device: str) -> Flow:
    """A copy of ``flow`` whose broker node points at ``127.0.0.1:broker_port`` and whose
    ``PIGW_DEVICE`` (the device the command path switches) is ``device``. Nothing else changes."""
    changed = copy.deepcopy(flow)
    brokers = [node for node in changed if node["type"] == "mqtt-broker"]
    tabs = [node for node in changed if node["type"] == "tab"]
    assert len(brokers) == 1 and len(tabs) == 1, "the example flow has one broker and one tab"
    brokers[0]["broker"] = "127.0.0.1"
    brokers[0]["port"] = str(broker_port)
    env = {entry["name"]: entry for entry in tabs[0]["env"]}
    env["PIGW_DEVICE"]["value"] = device
    return changed


SETTINGS_JS = """\
// Written by tests/ecosystem/node_red.py: headless Node-RED on loopback for one test.
module.exports = {{
    uiHost: "127.0.0.1",
    uiPort: {port},
    userDir: __dirname,
    flowFile: "flows.json",
    credentialSecret: false,
    httpAdminRoot: "/",
    httpNodeRoot: "/",
    logging: {{ console: {{ level: "info", metrics: false, audit: false }} }},
    telemetry: {{ enabled: false }},
    diagnostics: {{ enabled: false }},
    externalModules: {{ autoInstall: false, palette: {{ allowInstall: false }} }},
    editorTheme: {{ tours: false, projects: {{ enabled: false }} }},
}};
"""


class NodeRed:
    """One headless Node-RED on ``127.0.0.1:port`` with its settings, flow and log in ``workdir``."""

    def __init__(self, red_js: Path, workdir: Path, flow: Flow) -> None:
        self.port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "settings.js").write_text(SETTINGS_JS.format(port=self.port), encoding="utf-8")
        (workdir / "flows.json").write_text(json.dumps(flow, indent=2), encoding="utf-8")
        node = shutil.which("node") or "node"
        self.process = ManagedProcess(
            [
                node,
                str(red_js),
                "--settings",
                str(workdir / "settings.js"),
                "--userDir",
                str(workdir),
            ],
            workdir / "node-red.log",
            cwd=workdir,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> NodeRed:
        """Start and return once the flows run and the broker node is connected."""
        self.process.start()
        wait_for_port(self.port, timeout)
        self.process.wait_for_output("Started flows", timeout)
        self.process.wait_for_output("Connected to broker", timeout)
        return self

    def stop(self) -> None:
        self.process.stop(20)

    def inject(self, node_id: str) -> None:
        """Press an inject node's button, as the editor does (``POST /inject/<id>``)."""
        response = httpx.post(f"{self.url}/inject/{node_id}", timeout=10)
        assert response.status_code == 200, f"inject {node_id}: {response.status_code}"


@dataclass
class DebugOutput:
    """What the editor's debug sidebar shows for one message."""

    node: str
    topic: str | None
    payload: Any  # the debug node's JSON-encoded msg property, decoded


@dataclass
class EditorComms:
    """Debug output and node status received over the editor's websocket."""

    debug: list[DebugOutput] = field(default_factory=list)
    status: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, message: dict[str, Any]) -> None:
        topic, data = message.get("topic"), message.get("data")
        if not isinstance(data, dict):
            return
        with self.lock:
            if topic == "debug":
                text = data.get("msg")
                payload = json.loads(text) if data.get("format") == "Object" else text
                self.debug.append(DebugOutput(data["id"], data.get("topic"), payload))
            elif isinstance(topic, str) and topic.startswith("status/"):
                self.status.setdefault(topic.removeprefix("status/"), []).append(
                    str(data.get("text", ""))
                )

    def from_node(self, node_id: str) -> list[DebugOutput]:
        with self.lock:
            return [entry for entry in self.debug if entry.node == node_id]

    def wait_for(
        self,
        node_id: str,
        match: Callable[[DebugOutput], bool],
        what: str,
        timeout: float = 30.0,
    ) -> DebugOutput:
        """Block until the debug node ``node_id`` showed a message that ``match`` accepts."""
        found: DebugOutput = wait_until(
            lambda: next((entry for entry in self.from_node(node_id) if match(entry)), None),
            timeout,
            what,
        )
        return found


@contextmanager
def editor_comms(node_red: NodeRed) -> Iterator[EditorComms]:
    """Subscribe to debug output like the editor does, recording until the block ends."""
    seen = EditorComms()
    url = f"ws://127.0.0.1:{node_red.port}/comms"
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"subscribe": "debug"}))

        def read() -> None:
            try:
                for raw in socket:
                    batch = json.loads(raw)
                    for message in batch if isinstance(batch, list) else [batch]:
                        seen.add(message)
            except ConnectionClosed:
                return

        reader = threading.Thread(target=read, name="node-red-comms", daemon=True)
        reader.start()
        try:
            yield seen
        finally:
            socket.close()
            reader.join(10)
