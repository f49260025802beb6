"""Many SSE clients that connect, read a little and drop, over and over (the reconnect storm of a
thousand dashboards on flaky Wi-Fi). Raw asyncio sockets: a thousand of them fit in one test
process, and each client can leave the way real ones do.

Each client loops until the window ends: connect (from its own loopback source address, so that
the short-lived connections do not run out of ephemeral ports), send ``GET /api/events`` — half of
the reconnects with the ``Last-Event-ID`` it saw last, so both the snapshot and the resume path
are churned —, then one of:

* hang up before the response arrives (a tab closed while loading);
* read until the first event (``snapshot`` or a resumed one), keep reading for a random moment,
  then drop the connection with a RST (a vanished client) or close it with a FIN (a closed tab).
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import struct
from dataclasses import dataclass, field

_ID = re.compile(rb"^id: (\S+)$", re.M)


@dataclass
class ChurnStats:
    connections: int = 0
    first_events: int = 0  # connections that got their first event
    snapshots: int = 0
    resumed: int = 0  # first event was not a snapshot: a Last-Event-ID resume
    early_hangups: int = 0
    resets: int = 0  # RST
    closes: int = 0  # FIN
    refused: int = 0  # answered with something other than 200
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


async def churn(port: int, clients: int, duration: float, seed: int = 0) -> ChurnStats:
    """Run ``clients`` churning clients against ``127.0.0.1:port`` for ``duration`` seconds."""
    stats = ChurnStats()
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + duration
    await asyncio.gather(*(_client(i, port, stop_at, seed, stats) for i in range(clients)))
    return stats


async def _client(index: int, port: int, stop_at: float, seed: int, stats: ChurnStats) -> None:
    loop = asyncio.get_running_loop()
    rnd = random.Random(seed * 1_000_003 + index)
    source = f"127.0.{1 + index // 250}.{1 + index % 250}"
    last_id: bytes | None = None
    while loop.time() < stop_at:
        try:
            last_id = await _once(port, source, rnd, last_id, stats)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            stats.error(exc)
            await asyncio.sleep(0.05)  # poll: back off a moment before trying again


async def _once(
    port: int, source: str, rnd: random.Random, last_id: bytes | None, stats: ChurnStats
) -> bytes | None:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), 30
    )
    stats.connections += 1
    try:
        resume = last_id if last_id is not None and rnd.random() < 0.5 else None
        writer.write(
            b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            + (b"Last-Event-ID: " + resume + b"\r\n" if resume else b"")
            + b"\r\n"
        )
        if rnd.random() < 0.1:
            stats.early_hangups += 1
            return last_id
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if not head.startswith(b"HTTP/1.1 200"):
            stats.refused += 1
            return last_id
        received = await asyncio.wait_for(reader.readuntil(b"\n\n"), 30)
        while b"event:" not in received:  # the retry: hint comes first
            received += await asyncio.wait_for(reader.readuntil(b"\n\n"), 30)
        stats.first_events += 1
        if b"event: snapshot" in received:
            stats.snapshots += 1
        else:
            stats.resumed += 1
        hold_until = asyncio.get_running_loop().time() + rnd.uniform(0.0, 1.0)
        while asyncio.get_running_loop().time() < hold_until:
            try:
                received += await asyncio.wait_for(reader.read(65536), 0.1)
            except TimeoutError:
                continue
        ids = _ID.findall(received)
        return ids[-1] if ids else last_id
    finally:
        if rnd.random() < 0.5:
            stats.resets += 1
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        else:
            stats.closes += 1
            writer.close()
