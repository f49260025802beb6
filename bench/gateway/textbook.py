"""The textbook SSE server the gateway is measured against (issue 7's "FastAPI + sse-starlette, one
queue per client"), written the way the sse-starlette documentation and most tutorials show it.

    python -m bench.gateway.textbook MQTT_PORT HTTP_PORT

One aiomqtt client iterates over ``client.messages``; each message becomes an event that is put on
every client's ``asyncio.Queue`` (capped at 1,000: past that the event is dropped for that client,
so a client that cannot keep up loses events instead of growing memory without end); each client's
generator yields one event at a time to sse-starlette's ``EventSourceResponse``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomqtt
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

QUEUE_CAP = 1000


def serve(mqtt_port: int, http_port: int) -> None:
    queues: set[asyncio.Queue[dict[str, str]]] = set()
    subscribed = asyncio.Event()

    async def bridge() -> None:
        async with aiomqtt.Client("127.0.0.1", mqtt_port) as client:
            await client.subscribe("pigw/#", qos=1)
            subscribed.set()
            n = 0
            async for message in client.messages:
                payload = message.payload
                if not isinstance(payload, bytes) or message.retain:
                    continue
                n += 1
                event = {"id": str(n), "event": "reading", "data": payload.decode()}
                for queue in queues:
                    if queue.qsize() < QUEUE_CAP:
                        queue.put_nowait(event)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(bridge())
        yield
        task.cancel()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def ready() -> JSONResponse:
        return JSONResponse({"ready": subscribed.is_set()}, 200 if subscribed.is_set() else 503)

    @app.get("/api/events")
    async def events() -> EventSourceResponse:
        queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        queues.add(queue)

        async def stream() -> AsyncIterator[dict[str, str]]:
            try:
                while True:
                    yield await queue.get()
            finally:
                queues.discard(queue)

        return EventSourceResponse(stream())

    uvicorn.run(app, host="127.0.0.1", port=http_port, log_level="warning", loop="uvloop")


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
