"""``make demo``: run the whole system on this machine on its built-in defaults.

Starts, in order: Mosquitto from ``mosquitto/dev.conf`` (loopback), ``pigw-gateway`` and a simulated
``pigw-agent``; prints where to look; on Ctrl-C (or SIGTERM) stops everything it started, newest
first. A component that exits on its own is reported with its last output, not hidden.

Only the standard library is used, so this runs before anything else is importable.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Logs, the broker's config and the agent's outbox (PIGW_DEMO_RUN_DIR: elsewhere, as the tests do).
RUN = Path(os.environ.get("PIGW_DEMO_RUN_DIR", REPO / ".run"))
BIN = Path(sys.executable).parent
DEVICE_ID = "demo-pi"


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def pick_port(preferred: int) -> int:
    """``preferred`` when free, else the next free one (a system mosquitto may hold 1883)."""
    for port in range(preferred, preferred + 100):
        if port_free(port):
            return port
    raise SystemExit(f"demo: no free port near {preferred}")


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)  # poll
    return False


class Demo:
    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = RUN / f"{name}.log"
        with log.open("wb") as out:
            # A session of its own: Ctrl-C in the terminal reaches only this script, which then
            # stops the agent (offline, outputs safe), the gateway and the broker in that order.
            # Sharing the terminal's process group, all three got SIGINT at once and the broker
            # could be gone before the agent said goodbye.
            proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
            )
        self.procs.append((name, proc, log))
        return proc

    def tail(self, log: Path, lines: int = 15) -> str:
        text = log.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join("    " + line for line in text)

    def stop_all(self) -> None:
        for name, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                print(f"demo: stopping {name}")
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def run(self) -> int:
        RUN.mkdir(parents=True, exist_ok=True)
        mqtt_port = pick_port(int(os.environ.get("PIGW_DEMO_MQTT_PORT", "1883")))
        http_port = pick_port(int(os.environ.get("PIGW_DEMO_HTTP_PORT", "8000")))
        conf = RUN / "mosquitto.conf"
        text = (REPO / "mosquitto" / "dev.conf").read_text()
        conf.write_text(
            re.sub(
                r"^listener \d+ 127\.0\.0\.1$", f"listener {mqtt_port} 127.0.0.1", text, flags=re.M
            )
        )
        mqtt_url = f"mqtt://127.0.0.1:{mqtt_port}"

        broker = self.start("mosquitto", [mosquitto_binary(), "-c", str(conf)])
        if not wait_port(mqtt_port, broker):
            print(f"demo: mosquitto did not start:\n{self.tail(RUN / 'mosquitto.log')}")
            return 1
        print(f"demo: broker     {mqtt_url}  (mosquitto/dev.conf, loopback only)")

        gateway = self.start(
            "gateway",
            [str(BIN / "pigw-gateway"), "--mqtt-url", mqtt_url, "--port", str(http_port)],
        )
        agent = self.start(
            "agent",
            [
                str(BIN / "pigw-agent"), "--simulate", "--mqtt-url", mqtt_url,
                "--device-id", DEVICE_ID, "--outbox", str(RUN / "outbox.sqlite"),
            ],
        )  # fmt: skip
        gateway_up = wait_port(http_port, gateway)
        time.sleep(0.5)  # give a stub agent the moment it needs to say it is not built  # poll
        for name, proc, log in self.procs:
            if proc.poll() is not None:
                print(f"demo: {name} is not running (exit {proc.returncode}):\n{self.tail(log)}")
        if gateway_up:
            print(f"demo: gateway    http://127.0.0.1:{http_port}/   <- open the dashboard here")
            print(
                f"demo:            http://127.0.0.1:{http_port}/docs (API), /api/events (live stream)"
            )
        if agent.poll() is None:
            print(f"demo: agent      {DEVICE_ID} (simulated board, outbox {RUN / 'outbox.sqlite'})")
        print(f"demo: watch MQTT with: mosquitto_sub -h 127.0.0.1 -p {mqtt_port} -t 'pigw/#' -v")
        print(f"demo: logs in {RUN}/ ; Ctrl-C stops everything")
        return self.wait()

    def wait(self) -> int:
        try:
            while True:
                for name, proc, log in self.procs:
                    if proc.poll() is not None and name == "mosquitto":
                        print(f"demo: mosquitto exited:\n{self.tail(log)}")
                        return 1
                time.sleep(0.5)  # poll
        except KeyboardInterrupt:
            print()
            return 0


def mosquitto_binary() -> str:
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if Path(candidate).exists():
            return candidate
    return "mosquitto"


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the demo like Ctrl-C: everything started is stopped


def main() -> int:
    demo = Demo()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return demo.run()
    finally:
        demo.stop_all()


if __name__ == "__main__":
    sys.exit(main())
