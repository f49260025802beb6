"""A child process that writes to the agent's real outbox in bursts, committing as the agent does
(every ``commit_interval``), to be SIGKILLed at a random instant by ``test_outbox_power_cut.py``. It reports on stdout, flushed line by line, what it
may rely on — so whatever it printed is at most what it really did:

* ``start <next_seq> <acked_through>``: the outbox is open (the first seq this run hands out);
* ``allocated <seq> <t>``: seqs up to this one were handed out (a real agent may have published
  them) by ``time.monotonic()`` = t (the same clock as the parent's, so it can age a lost reading);
* ``acked <acked_through>``: the watermark the next commit will write (PUBACKs simulated);
* ``durable <seq>``: :meth:`Outbox.commit` returned: every reading up to it is acknowledged to the
  caller (docs/agent.md, "Durability contract").

Usage: ``python -m tests.reliability.outbox_child <outbox file> <seed>``
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from device_agent.config import OutboxSection
from device_agent.outbox import Outbox
from device_agent.readings import build_state

#: Small on purpose: seq blocks are reserved (fsync'd) every 500 seqs, acknowledged rows are
#: pruned beyond 300 and commits come every 0.2 s (the agent's default is 5 s), so kills also land
#: in those writes and many commits happen before each kill.
POLICY = OutboxSection(
    batch_rows=100_000,
    keep_acked_rows=300,
    seq_block=500,
    max_rows=10_000_000,
    commit_interval=0.2,
)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    say("opening")
    outbox = Outbox(path, POLICY)
    durable = outbox.durable_through
    acked = outbox.acked_through
    say(f"start {outbox.seqs.next_seq} {acked}")
    committed_at = time.monotonic()
    while True:
        seq = -1
        for _ in range(rng.randint(1, 30)):
            seq = outbox.allocate()
            point = f"t{seq % 5}"
            outbox.append(
                build_state(point, True, rng.random(), "°C", seq=seq, boot="c", now=time.time())
            )
        say(f"allocated {seq} {time.monotonic():.6f}")
        if durable > acked and rng.random() < 0.5:
            upto = rng.randint(acked + 1, durable)
            outbox.mark_acked(range(acked + 1, upto + 1))
            acked = outbox.acked_through
        say(f"acked {outbox.acked_through}")
        if time.monotonic() - committed_at >= POLICY.commit_interval:  # the agent's commit loop
            durable = outbox.commit()
            committed_at = time.monotonic()
            say(f"durable {durable}")
        time.sleep(0.01)  # poll: pacing, not a wait: bursts of readings, as sensors produce them


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
