"""An agent in front of a broker that speaks only MQTT 3.1.1 (older Mosquitto, some cloud and
embedded brokers): it is refused at MQTT 5, falls back to 3.1.1 with a persistent session, and then
works as usual. The "old broker" is a real Mosquitto behind a small proxy that answers an MQTT 5
CONNECT as a 3.1.1 broker does (CONNACK, return code 1: unacceptable protocol version) and passes
a 3.1.1 connection through untouched."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pigw.contract import decode_ack
from tests.agent.support import FAST_BOARD, TOPICS, agent_process, running, write_config
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.proxy import BlackholeProxy

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


class Mqtt311Only(BlackholeProxy):
    """In front of a broker: an MQTT 5 CONNECT is refused as a 3.1.1 broker refuses it, a 3.1.1
    one passes through. ``levels``: the protocol level of every CONNECT seen."""

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port, "mqtt311-only")
        self.levels: list[int] = []

    async def greet(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bytes | None:
        try:
            connect = await _read_packet(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        self.levels.append(_protocol_level(connect))
        if self.levels[-1] == 4:
            return connect
        writer.write(bytes([0x20, 0x02, 0x00, 0x01]))  # 3.1.1 CONNACK: unacceptable version
        await writer.drain()
        return None


def test_an_mqtt_311_broker_gets_a_311_session_and_everything_works(
    broker: Mosquitto, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    proxy = Mqtt311Only(broker.port).start()
    try:
        with recorder(broker.host, broker.port, "pigw/old/#") as watch:
            agent = agent_process(proxy.url, tmp_path, "old", config=config)
            with running(agent):
                assert watch.wait_for(TOPICS.status("old"), timeout=30)[-1].payload == b"online"
                watch.wait_for(TOPICS.state("old", "level"), timeout=30)
                agent.wait_for_output("does not speak MQTT 5", 10)
                # Subscriptions work under 3.1.1: a command is executed and acknowledged.
                watch.publish(TOPICS.command("old", "relay1"), b'{"value": true, "cid": "c-311"}')
                acks = watch.wait_for(TOPICS.ack("old", "relay1"), timeout=30)
                ack = decode_ack(acks[-1].payload)
                assert (ack.cid, ack.status) == ("c-311", "ok")
    finally:
        proxy.close()
    assert proxy.levels[0] == 5 and set(proxy.levels[1:]) == {4}
