"""A TCP proxy that can cut the network without closing anything: a black hole, then a heal.

A real cut (a pulled cable, a Wi-Fi drop, a NAT entry that expired) closes nothing: both ends keep
their sockets open, their bytes go unanswered and TCP keeps retransmitting them; only the
applications' own keepalives notice. When the network heals, whatever was retransmitting gets
through, and a side that gave up in the meantime has sent a FIN that now arrives too.

The proxy models exactly that. While cut, it neither reads further nor forwards: the bytes it
holds stay held (TCP retransmission), the senders' socket buffers fill up (backpressure), and an
end-of-stream is not passed on. New connections are accepted but not connected upstream (the SYN
"gets through" to the proxy only; the client then waits for an answer that does not come). On
heal, everything held is delivered in order, end-of-streams included, and forwarding goes on.

It runs its own asyncio loop in a thread, so synchronous tests drive it with plain calls. A
subclass may look at what a client sends first before anything goes upstream (:meth:`greet`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future

from tests.support.ports import free_port


class BlackholeProxy:
    """``127.0.0.1:<port>`` → ``127.0.0.1:<upstream>``, with :meth:`cut` and :meth:`heal`."""

    def __init__(self, upstream_port: int, name: str = "proxy") -> None:
        self.upstream_port = upstream_port
        self.name = name
        self.port = free_port()
        self.connections = 0
        self.cuts = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._flowing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    # --- control (any thread) ---------------------------------------------------------------
    def start(self) -> BlackholeProxy:
        self._thread.start()
        self._call(self._start()).result(10)
        return self

    def cut(self) -> None:
        """Stop forwarding in both directions; close nothing."""
        self.cuts += 1
        self._call(self._set_flowing(False)).result(10)

    def heal(self) -> None:
        """Deliver what was held and forward again."""
        self._call(self._set_flowing(True)).result(10)

    @property
    def is_cut(self) -> bool:
        return self._flowing is not None and not self._flowing.is_set()

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._close()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _call(self, coro: object) -> Future[None]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]

    # --- the proxy's loop -------------------------------------------------------------------
    async def _start(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _set_flowing(self, flowing: bool) -> None:
        assert self._flowing is not None
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None and self._flowing is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self.connections += 1
        try:
            first = await self.greet(client_r, client_w)
            if first is None:
                return
            await self._flowing.wait()  # a cut network: the upstream SYN never arrives
            try:
                up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            except OSError:
                return
            up_w.write(first)
            try:
                await asyncio.gather(self._pipe(client_r, up_w), self._pipe(up_r, client_w))
            finally:
                up_w.close()
        finally:
            client_w.close()
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def greet(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bytes | None:
        """What a new client sent that is to go upstream first, or ``None`` to drop the client
        (the hook of a subclass; the plain proxy reads nothing ahead)."""
        return b""

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        try:
            while True:
                data = await reader.read(65536)
                # Held while cut: in the network these bytes are being retransmitted.
                await self._flowing.wait()
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            with contextlib.suppress(OSError):
                writer.transport.abort()
