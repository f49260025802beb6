"""MQTT 3.1.1 packets as bytes, for clients that talk to a broker without a library in between:
the benchmark's lean asyncio clients (``bench/gateway/lean.py``) and the NATS fixture's readiness
probe (``tests/support/nats.py``)."""

from __future__ import annotations

import struct


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def mqtt_connect(client_id: str, keepalive: int = 0) -> bytes:
    """CONNECT, MQTT 3.1.1, clean session."""
    body = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", keepalive) + _string(client_id)
    return b"\x10" + _remaining_length(len(body)) + body


def mqtt_subscribe(topic: str, qos: int, packet_id: int = 1) -> bytes:
    body = struct.pack("!H", packet_id) + _string(topic) + bytes([qos])
    return b"\x82" + _remaining_length(len(body)) + body


def mqtt_publish(topic: str, payload: bytes, packet_id: int, *, retain: bool) -> bytes:
    """PUBLISH at QoS 1."""
    body = _string(topic) + struct.pack("!H", packet_id) + payload
    return bytes([0x32 | (1 if retain else 0)]) + _remaining_length(len(body)) + body


MQTT_DISCONNECT = b"\xe0\x00"
