"""``docs/examples/pigw_follow.py`` (the plain-script consumer of docs/consumers.md) against the real
broker and a real simulated agent: it prints every reading once and closes a gap with ``replay``.

The gap is the contract's own example: the broker crashes (no persistence), the agent reconnects
and publishes while the consumer has not resubscribed yet. The consumer is frozen (SIGSTOP) across
the crash so that it certainly comes back last.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pigw.contract import Topics, decode_replay, decode_state
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.processes import REPO, ManagedProcess, venv_command
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

SCRIPT = REPO / "docs" / "examples" / "pigw_follow.py"
TOPICS = Topics()
DEVICE = "follow-pi"


def printed(script: ManagedProcess) -> list[dict[str, Any]]:
    """The readings the script printed so far (its log also holds its stderr notes)."""
    return [json.loads(line) for line in script.output().splitlines() if line.startswith("{")]


def live_seqs(lines: list[dict[str, Any]]) -> list[int]:
    return [line["seq"] for line in lines if not line["retained"]]


def test_follow_script_prints_each_reading_once_and_replays_what_it_missed(
    broker: Mosquitto, tmp_path: Path
) -> None:
    agent = ManagedProcess(
        [
            venv_command("pigw-agent"), "--simulate", "--mqtt-url", broker.url,
            "--device-id", DEVICE, "--outbox", str(tmp_path / "outbox.sqlite"),
            "--mqtt-backoff-min", "0.2", "--mqtt-backoff-max", "1",
        ],
        tmp_path / "agent.log",
    )  # fmt: skip
    script = ManagedProcess(
        [sys.executable, str(SCRIPT), "--port", str(broker.port), "--delay", "1"],
        tmp_path / "follow.log",
    )
    agent.start()
    script.start()
    try:
        # Before the crash: live readings arrive (past the agent's first burst of states).
        wait_until(lambda: len(live_seqs(printed(script))) >= 15, 60, "fifteen live readings")
        before = max(line["seq"] for line in printed(script))

        script.pause()
        broker.kill()
        broker.start()
        with recorder(broker.host, broker.port, f"pigw/{DEVICE}/#") as watch:

            def newest() -> int:
                seqs = [
                    decode_state(m.payload).seq
                    for m in watch.messages
                    if m.topic.endswith("/state")
                ]
                return max(seqs, default=-1)

            # The agent is back and has published new readings while the script was away.
            wait_until(lambda: newest() >= before + 8, 30, f"new readings after seq {before}")
            missed_top = newest()
            script.resume()

            # The script sees the jump, asks for the range, and the agent's replay fills it.
            request = decode_replay(watch.wait_for(TOPICS.replay(DEVICE), timeout=30)[0].payload)
            assert before < request.from_seq <= request.to_seq <= missed_top

            def complete() -> bool:
                seqs = {line["seq"] for line in printed(script)}
                return set(range(before, missed_top + 1)) <= seqs

            wait_until(complete, 30, f"every seq from {before} to {missed_top} printed")
    finally:
        script.stop()
        agent.stop(20)
        print(f"--- follow.log ---\n{script.tail()}\n--- agent.log ---\n{agent.tail()}")

    lines = printed(script)
    seqs = [line["seq"] for line in lines]
    assert len(seqs) == len(set(seqs)), "a (device, seq) printed twice"
    replayed = [line for line in lines if line["hist"] and before < line["seq"] <= missed_top]
    assert replayed, "nothing came from the replay"
    assert all(line["device"] == DEVICE for line in lines)
    assert "asked for seqs" in script.output()
