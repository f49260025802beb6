"""Our own programs (and Mosquitto) as child processes that a test can stop, kill, pause and resume.

Output goes to a log file in the test's temporary folder; on a failing test the last lines are worth
reading, so :meth:`ManagedProcess.tail` returns them and the fixtures print them on teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def venv_command(name: str) -> str:
    """The path of a console script installed in the running virtual environment."""
    return str(VENV_BIN / name)


class ManagedProcess:
    """One child process with its output in ``log_path``."""

    def __init__(
        self,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd or REPO
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        if self.running:
            raise RuntimeError(f"{self.argv[0]} is already running")
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, not the child
            )
        finally:
            log.close()
        return self

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("not started")
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def signal(self, sig: int) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait up to ``timeout``, then SIGKILL. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.resume()  # a paused process cannot handle SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no clean-up, no Last Will suppression — a crash or a power cut."""
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(10)

    def pause(self) -> None:
        """SIGSTOP: the process is frozen, its sockets stay open (a hung peer)."""
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def wait_exit(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait_for_output(self, text: str, timeout: float = 10.0) -> None:
        """Block until ``text`` appears in the process's output."""
        wait_until(lambda: text in self.output(), timeout, f"{text!r} in {self.log_path.name}")
