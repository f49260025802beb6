"""An agent in front of a broker that speaks only MQTT 3.1.1 (older Mosquitto, some cloud and
embedded brokers): it is refused at MQTT 5, falls back to 3.1.1 with a persistent session, and then
works as usual. The "old broker" is a real Mosquitto behind a small proxy that answers an MQTT 5
CONNECT as a 3.1.1 broker does (CONNACK, return code 1: unacceptable protocol version) and passes
a 3.1.1 connection through untouched."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pigw.contract import decode_ack
from tests.agent.support import FAST_BOARD, TOPICS, agent_process, running, write_config
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


async def _read_packet(reader: asyncio.StreamReader) -> bytes:
    """One whole MQTT control packet: fixed header, remaining length (varint), the rest."""
    packet = bytearray(await reader.readexactly(1))
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        packet.append(byte)
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    packet += await reader.readexactly(length)
    return bytes(packet)


def _protocol_level(connect: bytes) -> int:
    """The protocol level of a CONNECT (4: 3.1.1, 5: MQTT 5), after the header and "MQTT"."""
    start = 1
    while connect[start] & 0x80:
        start += 1
    start += 1  # past the remaining length
    name_length = int.from_bytes(connect[start : start + 2], "big")
    return connect[start + 2 + name_length]


@contextmanager
def mqtt311_only(broker: Mosquitto) -> Iterator[tuple[int, list[int]]]:
    """A proxy port in front of ``broker``, and the protocol levels of the CONNECTs it saw."""
    port = free_port()
    levels: list[int] = []
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            connect = await _read_packet(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        levels.append(_protocol_level(connect))
        if levels[-1] != 4:
            writer.write(bytes([0x20, 0x02, 0x00, 0x01]))  # 3.1.1 CONNACK: unacceptable version
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(broker.host, broker.port)
        up_writer.write(connect)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def serve() -> None:
        server = await asyncio.start_server(client, "127.0.0.1", port)
        ready.set()
        async with server:
            await stop.wait()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:  # the open pipes
            task.cancel()
        await asyncio.gather(
            *asyncio.all_tasks() - {asyncio.current_task()}, return_exceptions=True
        )

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(10), "the proxy did not start"
    try:
        yield port, levels
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_an_mqtt_311_broker_gets_a_311_session_and_everything_works(
    broker: Mosquitto, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    with (
        mqtt311_only(broker) as (port, levels),
        recorder(broker.host, broker.port, "pigw/old/#") as watch,
    ):
        agent = agent_process(f"mqtt://127.0.0.1:{port}", tmp_path, "old", config=config)
        with running(agent):
            assert watch.wait_for(TOPICS.status("old"), timeout=30)[-1].payload == b"online"
            watch.wait_for(TOPICS.state("old", "level"), timeout=30)
            agent.wait_for_output("does not speak MQTT 5", 10)
            # Subscriptions work under 3.1.1: a command is executed and acknowledged.
            watch.publish(TOPICS.command("old", "relay1"), b'{"value": true, "cid": "c-311"}')
            ack = decode_ack(watch.wait_for(TOPICS.ack("old", "relay1"), timeout=30)[-1].payload)
            assert (ack.cid, ack.status) == ("c-311", "ok")
        assert levels[0] == 5 and set(levels[1:]) == {4}
