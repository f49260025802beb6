"""Lean clients for the fan-out benchmark: raw asyncio protocols that parse only what they count.

The clients must never be what limits a measurement, so each is an ``asyncio.Protocol`` (run on
uvloop) with no HTTP, MQTT or WebSocket library in between:

* :class:`SseClient` sends one ``GET``, skips the response head, undoes the chunked transfer coding
  and counts ``event: reading`` in whole events;
* :class:`MqttSubscriber` is an MQTT 3.1.1 subscriber at QoS 1 (it acknowledges every message, as a
  subscriber that must not lose anything does) and counts the ``PUBLISH`` packets that are not
  retained copies;
* :class:`WsClient` does the WebSocket upgrade and counts text frames (Node-RED's websocket-out);
* :class:`MqttPublisher` publishes at QoS 1 and ignores the acknowledgements.

Every reading carries its publish time (``time.monotonic()``, one clock for every process on the
machine) as its ``value``. Only "sampled" clients pull the values out to compute latencies (a
uniform sample of connections, all of their events); the others only count.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import struct
import time
from array import array
from typing import Final, cast

from tests.support.mqtt_packets import mqtt_connect, mqtt_publish, mqtt_subscribe

READING: Final = b"event: reading"
VALUE: Final = re.compile(rb'"value": ?([0-9]+\.[0-9]+)')
SSE_ID: Final = re.compile(rb"(?:^|\n)id: (?:[0-9a-f]+-)?([0-9]+)\r?\n")


class Counter:
    """What one client saw since the last reset."""

    __slots__ = ("count", "first_at", "gaps", "last_at", "last_id", "latencies", "sampled")

    def __init__(self, sampled: bool) -> None:
        self.sampled = sampled
        self.latencies = array("d")
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.gaps = 0  # ids that went missing or repeated (sampled SSE clients check continuity)
        self.first_at = 0.0
        self.last_at = 0.0
        self.last_id = -1
        del self.latencies[:]

    def got(self, n: int, now: float, body: bytes) -> None:
        if not self.first_at:
            self.first_at = now
        self.last_at = now
        self.count += n
        if self.sampled:
            self.latencies.extend(now - float(v) for v in VALUE.findall(body))


# --- SSE ---------------------------------------------------------------------------------------
class SseClient(asyncio.Protocol):
    """``GET path`` and count the ``reading`` events of the (chunked) response body."""

    def __init__(self, path: str, counter: Counter, connected: asyncio.Future[None]) -> None:
        self.path = path
        self.counter = counter
        self.connected = connected
        self.head = b""
        self.in_body = False
        self.chunk_left = 0  # bytes left in the current chunk
        self.size_line = b""  # a chunk-size line split across reads
        self.skip = 0  # CRLF after a chunk's data still to skip
        self.events = b""  # de-chunked text not yet ended by a blank line
        self.sep = b""
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectionError("closed before the response head"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.in_body:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            status = self.head[: self.head.find(b"\r\n")]
            if b" 200 " not in status:
                self.connected.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            data = self.head[end + 4 :]
            self.head = b""
            self.in_body = True
            self.connected.set_result(None)
        text = self._dechunk(data)
        if not text:
            return
        buffer = self.events + text if self.events else text
        if not self.sep:
            if b"\n\n" not in buffer and b"\r\n\r\n" not in buffer:
                self.events = buffer
                return
            self.sep = b"\r\n\r\n" if b"\r\n\r\n" in buffer else b"\n\n"
        cut = buffer.rfind(self.sep)
        if cut < 0:
            self.events = buffer
            return
        cut += len(self.sep)
        whole, self.events = buffer[:cut], buffer[cut:]
        counter = self.counter
        n = whole.count(READING)
        if n:
            counter.got(n, now, whole)
            if counter.sampled:
                self._check_ids(whole)

    def _check_ids(self, whole: bytes) -> None:
        # Unfiltered streams number their events without holes (CONTRACT.md), so any hole or
        # repeat between consecutive ids is a lost or duplicated event.
        counter = self.counter
        for match in SSE_ID.finditer(whole):
            n = int(match.group(1))
            if counter.last_id >= 0 and n != counter.last_id + 1:
                counter.gaps += 1
            counter.last_id = n

    def _dechunk(self, data: bytes) -> bytes:
        out: list[bytes] = []
        i, size = 0, len(data)
        while i < size:
            if self.skip:
                take = min(self.skip, size - i)
                self.skip -= take
                i += take
                continue
            if self.chunk_left:
                take = min(self.chunk_left, size - i)
                out.append(data[i : i + take])
                self.chunk_left -= take
                i += take
                if not self.chunk_left:
                    self.skip = 2
                continue
            end = data.find(b"\r\n", i)
            if end < 0:
                self.size_line += data[i:]
                break
            line = self.size_line + data[i:end]
            self.size_line = b""
            i = end + 2
            length = int(line.split(b";")[0], 16)
            if length == 0:
                self.transport.close()  # the end of the response
                break
            self.chunk_left = length
        return b"".join(out)


# --- MQTT --------------------------------------------------------------------------------------
class MqttProtocol(asyncio.Protocol):
    """Frames MQTT packets; subclasses handle them."""

    def __init__(self, connected: asyncio.Future[None]) -> None:
        self.connected = connected
        self.buffer = b""
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectionError("MQTT connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self.buffer + data if self.buffer else data
        i, size = 0, len(buffer)
        packets: list[tuple[int, bytes]] = []
        while i + 2 <= size:
            first = buffer[i]
            length, multiplier, j = 0, 1, i + 1
            while True:
                if j >= size:
                    length = -1
                    break
                byte = buffer[j]
                length += (byte & 0x7F) * multiplier
                multiplier *= 128
                j += 1
                if not byte & 0x80:
                    break
            if length < 0 or j + length > size:
                break
            packets.append((first, buffer[j : j + length]))
            i = j + length
        self.buffer = buffer[i:]
        if packets:
            self.packets(packets, now)

    def packets(self, packets: list[tuple[int, bytes]], now: float) -> None:
        raise NotImplementedError


class MqttSubscriber(MqttProtocol):
    """A subscriber (QoS 1 by default) that counts non-retained PUBLISH packets and acknowledges
    each one that needs it."""

    def __init__(
        self,
        client_id: str,
        topic: str,
        counter: Counter,
        connected: asyncio.Future[None],
        qos: int = 1,
    ) -> None:
        super().__init__(connected)
        self.client_id = client_id
        self.topic = topic
        self.counter = counter
        self.qos = qos

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        transport.write(mqtt_connect(self.client_id) + mqtt_subscribe(self.topic, self.qos))

    def packets(self, packets: list[tuple[int, bytes]], now: float) -> None:
        acks: list[bytes] = []
        counter = self.counter
        count = 0
        values: list[bytes] = []
        for first, body in packets:
            kind = first >> 4
            if kind == 3:
                qos = (first >> 1) & 3
                topic_len = (body[0] << 8) | body[1]
                at = 2 + topic_len
                if qos:
                    acks.append(b"\x40\x02" + body[at : at + 2])
                    at += 2
                if first & 1:
                    continue  # a retained copy sent on subscribe, not a live delivery
                count += 1
                if counter.sampled:
                    values.append(body[at:])
            elif kind == 9 and not self.connected.done():  # SUBACK
                self.connected.set_result(None)
        if acks:
            self.transport.write(b"".join(acks))
        if count:
            counter.got(count, now, b"".join(values))


class MqttPublisher(MqttProtocol):
    """Publishes at QoS 1; PUBACKs are counted, nothing else is read."""

    def __init__(self, client_id: str, connected: asyncio.Future[None]) -> None:
        super().__init__(connected)
        self.client_id = client_id
        self.acked = 0
        self._packet_id = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        transport.write(mqtt_connect(self.client_id, keepalive=0))

    def packets(self, packets: list[tuple[int, bytes]], now: float) -> None:
        for first, _ in packets:
            kind = first >> 4
            if kind == 2 and not self.connected.done():  # CONNACK
                self.connected.set_result(None)
            elif kind == 4:
                self.acked += 1

    def publish(self, topic: str, payload: bytes, *, retain: bool) -> None:
        self._packet_id = self._packet_id % 65535 + 1
        self.transport.write(mqtt_publish(topic, payload, self._packet_id, retain=retain))


# --- WebSocket -----------------------------------------------------------------------------------
class WsClient(asyncio.Protocol):
    """A WebSocket client (RFC 6455) that counts the text frames it receives."""

    def __init__(self, path: str, counter: Counter, connected: asyncio.Future[None]) -> None:
        self.path = path
        self.counter = counter
        self.connected = connected
        self.buffer = b""
        self.in_frames = False
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(ConnectionError("closed before the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self.buffer + data if self.buffer else data
        if not self.in_frames:
            rest = self._handshake(buffer)
            if rest is None:
                return
            buffer = rest
        i, size, count = 0, len(buffer), 0
        texts: list[bytes] = []
        while i + 2 <= size:
            opcode, length, j = buffer[i] & 0x0F, buffer[i + 1] & 0x7F, i + 2
            if length == 126:
                if j + 2 > size:
                    break
                length, j = struct.unpack_from("!H", buffer, j)[0], j + 2
            elif length == 127:
                if j + 8 > size:
                    break
                length, j = struct.unpack_from("!Q", buffer, j)[0], j + 8
            if j + length > size:
                break
            if opcode == 1:
                count += 1
                if self.counter.sampled:
                    texts.append(buffer[j : j + length])
            elif opcode == 9:  # ping: answer with a masked pong
                self.transport.write(b"\x8a\x80\x00\x00\x00\x00")
            i = j + length
        self.buffer = buffer[i:]
        if count:
            self.counter.got(count, now, b"".join(texts))

    def _handshake(self, buffer: bytes) -> bytes | None:
        """The bytes after the upgrade response, or ``None`` while it is incomplete or refused."""
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            self.buffer = buffer
            return None
        if b" 101 " not in buffer[: buffer.find(b"\r\n")]:
            self.connected.set_exception(ConnectionError("no WebSocket upgrade"))
            self.transport.close()
            return None
        self.in_frames = True
        self.connected.set_result(None)
        return buffer[end + 4 :]
