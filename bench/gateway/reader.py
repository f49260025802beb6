"""One reader process: N lean clients (:mod:`bench.gateway.lean`), driven over stdin/stdout.

    python -m bench.gateway.reader KIND PORT CLIENTS FIRST SAMPLE_EVERY [PATH]

``KIND`` is ``sse``, ``mqtt0``/``mqtt1`` (the subscription's QoS) or ``ws``. Commands, one per line on stdin, each answered by one JSON
line on stdout: ``connect`` (open every connection; answers once all are established), ``reset``
(zero the counters), ``progress`` (events so far), ``report`` (counts, latencies in ms of the
sampled clients, this process's CPU seconds since the reset), ``quit``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import uvloop

from bench.gateway.lean import Counter, MqttSubscriber, SseClient, WsClient

#: Connections opened at once (then the next batch): keeps the server's accept queue short.
CONNECT_BATCH = 50
TOPIC = "pigw/bench/+/state"


async def connect_all(
    kind: str, *, port: int, clients: int, first: int, counters: list[Counter], path: str
) -> list[asyncio.Transport]:
    loop = asyncio.get_running_loop()
    transports: list[asyncio.Transport] = []
    for start in range(0, clients, CONNECT_BATCH):
        pending: list[asyncio.Future[None]] = []
        for index in range(start, min(clients, start + CONNECT_BATCH)):
            done: asyncio.Future[None] = loop.create_future()
            counter = counters[index]
            if kind == "sse":
                factory: Any = lambda c=counter, d=done: SseClient(path, c, d)  # noqa: E731
            elif kind == "ws":
                factory = lambda c=counter, d=done: WsClient(path, c, d)  # noqa: E731
            else:
                client_id = f"bench-sub-{first + index}"
                qos = int(kind[4:] or 1)
                factory = lambda c=counter, d=done, i=client_id, q=qos: MqttSubscriber(  # noqa: E731
                    i, TOPIC, c, d, qos=q
                )
            transport, _ = await loop.create_connection(factory, "127.0.0.1", port)
            transports.append(transport)
            pending.append(done)
        async with asyncio.timeout(60):
            await asyncio.gather(*pending)
    return transports


async def main(argv: list[str]) -> None:
    kind, port, clients, first, sample_every = (
        argv[0],
        int(argv[1]),
        int(argv[2]),
        int(argv[3]),
        int(argv[4]),
    )
    path = argv[5] if len(argv) > 5 else "/api/events"
    counters = [Counter((first + i) % sample_every == 0) for i in range(clients)]
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transports: list[asyncio.Transport] = []
    cpu0 = time.process_time()

    def answer(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    while line := (await reader.readline()).decode().strip():
        if line == "connect":
            transports = await connect_all(
                kind, port=port, clients=clients, first=first, counters=counters, path=path
            )
            answer({"connected": len(transports)})
        elif line == "reset":
            for counter in counters:
                counter.reset()
            cpu0 = time.process_time()
            answer({"reset": True})
        elif line == "progress":
            answer({"count": sum(c.count for c in counters)})
        elif line == "report":
            latencies: list[float] = []
            for counter in counters:
                latencies.extend(round(1000 * x, 3) for x in counter.latencies)
            answer(
                {
                    "counts": [c.count for c in counters],
                    "gaps": sum(c.gaps for c in counters),
                    "first_at": min((c.first_at for c in counters if c.first_at), default=0.0),
                    "last_at": max((c.last_at for c in counters), default=0.0),
                    "latencies_ms": latencies,
                    "cpu_s": time.process_time() - cpu0,
                    "open": sum(not t.is_closing() for t in transports),
                }
            )
        elif line == "quit":
            break
    for transport in transports:
        transport.close()


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1:]))
