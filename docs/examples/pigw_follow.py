#!/usr/bin/env python3
"""Follow every reading of every pigw device over MQTT, losing none: a consumer without the gateway.

    pip install 'paho-mqtt>=2.2'
    python pigw_follow.py --host 127.0.0.1 --port 1883        # one JSON line per reading

It shows the three rules every pigw consumer follows (docs/consumers.md):

1. a repeated ``(device, seq)`` is the same reading (agents republish their current states, with
   their original seqs, on every reconnect; replays send old ones again): print it once;
2. ``seq`` counts every state message of a device, so a jump is a lost reading: wait a moment
   (the agent's backlog may be on its way), then ask for what is still missing on
   ``<prefix>/<dev>/replay`` with ``{"from_seq": a, "to_seq": b}``; the agent republishes what it
   still holds on ``<prefix>/<dev>/backlog``;
3. retained messages delivered when we (re)subscribe are the broker's current state: on first
   contact with a device they are the starting point, not gaps; after a reconnect, anything between
   what we had and them was published while we were away, and is asked for.

It needs only paho-mqtt (it is meant to be copied); it is not part of the pigw packages. Left out
for brevity: a device whose counter went back with a new ``boot`` (it lost its stored seq) is not
detected — its new readings print, but gaps are noticed again only above the old highest seq. Readings
go to stdout, one JSON object per line; what it asks for and gives up on goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

SEQ_LIMIT = 2**53
REPLAY_SPAN = 10_000  # the largest range one replay request may ask for (CONTRACT.md)
REMEMBER = 10_000  # seqs remembered per device for dedupe, and the oldest gap still asked for


@dataclass
class Device:
    top: int | None = None  # the highest seq seen
    live: bool = False  # we have had a live (not retained) message from it
    missing: set[int] = field(default_factory=set)
    recent: deque[int] = field(default_factory=deque)  # bounded memory of seen seqs
    seen: set[int] = field(default_factory=set)
    ask_at: float = 0.0  # when to ask for what is missing
    attempts: int = 0


class Follower:
    def __init__(self, prefix: str, delay: float, retry: float, attempts: int) -> None:
        self.prefix = prefix
        self.delay, self.retry, self.attempts = delay, retry, attempts
        self.devices: dict[str, Device] = {}
        self.lock = threading.Lock()
        self.client: mqtt.Client | None = None

    # --- MQTT callbacks (paho's thread) -------------------------------------------------------
    def on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log(f"connect refused: {reason}")
            return
        # Subscribe on every connect: after a broker restart the old subscriptions are gone.
        client.subscribe([(f"{self.prefix}/+/+/state", 1), (f"{self.prefix}/+/backlog", 1)])

    def on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        levels = message.topic.split("/")
        try:
            doc = json.loads(message.payload)
        except ValueError:
            log(f"malformed JSON on {message.topic}")
            return
        if levels[-1] == "backlog":  # <prefix>/<dev>/backlog: a JSON array, oldest first
            device = levels[-2]
            for entry in doc if isinstance(doc, list) else []:
                point = entry.get("sensor") or entry.get("actuator")
                self.reading(device, point, entry, retained=False, hist=True)
        else:  # <prefix>/<dev>/<point>/state
            self.reading(levels[-3], levels[-2], doc, retained=bool(message.retain), hist=False)

    # --- the rules ----------------------------------------------------------------------------
    def reading(self, device: str, point: Any, doc: Any, *, retained: bool, hist: bool) -> None:
        seq = doc.get("seq") if isinstance(doc, dict) else None
        # seq must be a JSON integer in [0, 2^53): anything else is refused (CONTRACT.md).
        if type(seq) is not int or not 0 <= seq < SEQ_LIMIT or not isinstance(point, str):
            log(f"refused a state message of {device}: {doc!r}"[:200])
            return
        with self.lock:
            state = self.devices.setdefault(device, Device())
            if seq in state.seen:
                return  # the same reading again
            if state.top is None or (retained and not state.live):
                # First contact: the retained states (each point's latest, scattered seqs) are
                # where we start; nothing before them is asked for.
                state.top = max(seq, state.top or 0)
            elif seq > state.top:
                # A jump. Retained messages jump too after a reconnect: what lies between was
                # published while we were away. At most REMEMBER seqs are asked for.
                state.missing.update(range(max(state.top + 1, seq - REMEMBER), seq))
                if len(state.missing) > REMEMBER:
                    state.missing = set(sorted(state.missing)[-REMEMBER:])
                state.top = seq
                if state.missing and not state.ask_at:
                    state.ask_at = time.monotonic() + self.delay
            state.live = state.live or not retained
            state.missing.discard(seq)
            if not state.missing:
                state.ask_at, state.attempts = 0.0, 0
            state.seen.add(seq)
            state.recent.append(seq)
            if len(state.recent) > REMEMBER:
                state.seen.discard(state.recent.popleft())
        line = {"device": device, "point": point, "seq": seq, "value": doc.get("value")}
        line |= {"ts": doc.get("ts"), "hist": hist, "retained": retained}
        print(json.dumps(line), flush=True)

    def ask_for_gaps(self) -> None:
        """Ask each device for its missing seqs once they are due; give up after a few tries."""
        now = time.monotonic()
        with self.lock:
            for device, state in self.devices.items():
                if not state.missing or not state.ask_at or now < state.ask_at:
                    continue
                if state.attempts >= self.attempts:
                    log(
                        f"{device}: gave up on {len(state.missing)} seq(s) {summary(state.missing)}"
                    )
                    state.missing.clear()
                    state.ask_at, state.attempts = 0.0, 0
                    continue
                low = min(state.missing)
                high = min(max(state.missing), low + REPLAY_SPAN - 1)
                request = json.dumps({"from_seq": low, "to_seq": high})
                assert self.client is not None
                self.client.publish(f"{self.prefix}/{device}/replay", request, qos=1)
                log(f"{device}: asked for seqs {low}..{high}")
                state.attempts += 1
                state.ask_at = now + self.retry


def summary(seqs: set[int]) -> str:
    return f"{min(seqs)}..{max(seqs)}" if seqs else "-"


def log(text: str) -> None:
    print(f"pigw_follow: {text}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--prefix", default="pigw")
    parser.add_argument("--username")
    parser.add_argument("--password-file")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds before asking for a gap")
    parser.add_argument("--retry", type=float, default=5.0, help="seconds between requests")
    parser.add_argument("--attempts", type=int, default=3, help="requests before giving up")
    args = parser.parse_args()

    follower = Follower(args.prefix, args.delay, args.retry, args.attempts)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if args.username:
        password = None
        if args.password_file:
            with open(args.password_file, encoding="utf-8") as file:
                password = file.readline().strip()
        client.username_pw_set(args.username, password)
    client.on_connect = follower.on_connect
    client.on_message = follower.on_message
    client.reconnect_delay_set(1, 30)
    follower.client = client
    client.connect_async(args.host, args.port, keepalive=30)
    client.loop_start()
    try:
        while True:
            time.sleep(0.5)  # poll: check for due replay requests twice a second
            follower.ask_for_gaps()
    except KeyboardInterrupt:
        return 0
    finally:
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    sys.exit(main())
