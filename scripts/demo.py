"""``make demo``: run the whole system on this machine on its built-in defaults.

Starts, in order: Mosquitto from ``mosquitto/dev.conf`` (loopback), ``pigw-gateway`` and a simulated
``pigw-agent``; prints where to look; on Ctrl-C, SIGTERM or SIGHUP (its terminal closed) stops
everything it started, newest first — also when started in the background by a script, where SIGINT
arrives ignored. A component that exits on its own is reported with its last output, and the rest
is stopped: a demo is all up or all down.

One demo per run folder (``.run``): a second one refuses to start while the first runs (it would
share ``.run/outbox.sqlite`` and quietly move to other ports), or with ``PIGW_DEMO_TAKE_OVER=1``
stops the first and takes over, saying so. ``.run/demo.lock`` is held (``flock``) for the demo's
lifetime; ``.run/demo.pid`` names the demo and its children, so that the children of a demo that
was SIGKILLed are stopped by the next one (they also get SIGTERM when the demo dies: PDEATHSIG).

Only the standard library is used, so this runs before anything else is importable.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
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
LOCK = RUN / "demo.lock"
PID_FILE = RUN / "demo.pid"
TAKE_OVER = os.environ.get("PIGW_DEMO_TAKE_OVER", "") not in {"", "0"}
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the demo dies, however it dies (even SIGKILL)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited; its parent has not reaped it yet


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)  # poll: another process's exit cannot be waited for
    return not alive(pid)


def command_line(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


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
        self.lock_fd: int | None = None

    # --- one demo at a time ---------------------------------------------------------------------
    def claim(self) -> bool:
        """Hold the run folder's lock: refuse when another demo holds it, or (PIGW_DEMO_TAKE_OVER)
        stop that one first; stop the leftovers of a demo that died without stopping them."""
        fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            previous = self.previous().get("pid")
            where = f" (pid {previous})" if previous else ""
            if not TAKE_OVER:
                os.close(fd)
                print(
                    f"demo: another demo is running in {RUN}{where}; stop it first (Ctrl-C in its "
                    f"terminal{f', or kill {previous}' if previous else ''}), or start with "
                    "PIGW_DEMO_TAKE_OVER=1 to stop it and take over"
                )
                return False
            print(f"demo: taking over: stopping the demo already running in {RUN}{where}")
            if previous:
                os.kill(previous, signal.SIGTERM)
            if not self._lock_within(fd, 60):
                os.close(fd)
                print("demo: the running demo did not stop within 60 s; not starting")
                return False
        self.lock_fd = fd
        self.stop_leftovers()
        self.write_pid_file()
        return True

    def _lock_within(self, fd: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.1)  # poll: flock has no timeout of its own
            else:
                return True
        return False

    def previous(self) -> dict[str, object]:
        try:
            found = json.loads(PID_FILE.read_text())
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def stop_leftovers(self) -> None:
        """Children a previous demo left running (it was SIGKILLed before it could stop them)."""
        children = self.previous().get("children")
        for name, pid in (children if isinstance(children, dict) else {}).items():
            if isinstance(pid, int) and alive(pid) and name_matches(name, command_line(pid)):
                print(f"demo: stopping the {name} (pid {pid}) a previous demo left running")
                os.kill(pid, signal.SIGTERM)
                if not wait_gone(pid, 15):
                    os.kill(pid, signal.SIGKILL)

    def write_pid_file(self) -> None:
        children = {name: proc.pid for name, proc, _ in self.procs}
        PID_FILE.write_text(json.dumps({"pid": os.getpid(), "children": children}) + "\n")

    def release(self) -> None:
        if self.lock_fd is not None:
            PID_FILE.unlink(missing_ok=True)
            os.close(self.lock_fd)  # releases the flock
            self.lock_fd = None

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = RUN / f"{name}.log"
        with log.open("wb") as out:
            # A session of its own: Ctrl-C in the terminal reaches only this script, which then
            # stops the agent (offline, outputs safe), the gateway and the broker in that order.
            # Sharing the terminal's process group, all three got SIGINT at once and the broker
            # could be gone before the agent said goodbye.
            proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - single-threaded; prctl only
            )
        self.procs.append((name, proc, log))
        self.write_pid_file()
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
        if not self.claim():
            return 1
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
            [
                str(BIN / "pigw-gateway"), "--mqtt-url", mqtt_url, "--port", str(http_port),
                "--state-dir", str(RUN),  # the history store: RUN/history.db (docs/history.md)
            ],
        )  # fmt: skip
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
        print(f"demo: history    {RUN / 'history.db'} (SQLite; kept across demo runs)")
        print(f"demo: watch MQTT with: mosquitto_sub -h 127.0.0.1 -p {mqtt_port} -t 'pigw/#' -v")
        print(f"demo: logs in {RUN}/ ; Ctrl-C stops everything")
        return self.wait()

    def wait(self) -> int:
        """Until a stop signal (0), or until a component exits by itself (1): then it is reported
        and the caller stops the rest, so a demo is never left half-running."""
        try:
            while True:
                for name, proc, log in self.procs:
                    if proc.poll() is not None:
                        print(
                            f"demo: {name} exited by itself (exit {proc.returncode}); stopping "
                            f"the rest. Its last output:\n{self.tail(log)}"
                        )
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


def name_matches(name: str, cmdline: str) -> bool:
    """Whether a leftover pid still runs what the pid file says (pids are reused)."""
    expected = {"mosquitto": "mosquitto", "gateway": "pigw-gateway", "agent": "pigw-agent"}
    return expected.get(name, name) in cmdline


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # every stop signal stops the demo like Ctrl-C


def main() -> int:
    demo = Demo()
    # SIGINT too: a shell script's background job (`make demo &`) starts with SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler of its own.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        return demo.run()
    finally:
        # No second signal may cut the stopping short (a closing terminal sends SIGHUP and then
        # SIGCONT/SIGTERM): stop what was started, then release the run folder.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        demo.stop_all()
        demo.release()


if __name__ == "__main__":
    sys.exit(main())
