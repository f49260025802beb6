"""Commands end to end (REST and WebSocket) through a real broker to a fake agent that acks."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt_client
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from gateway.auth import create_token
from pigw.contract import OFFLINE, Ack, AckStatus, Topics, decode_command, encode_model, now_ts
from tests.gateway.support import Gateway, announce, state
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
T = Topics()
StartGateway = Callable[..., Gateway]


class FakeAgent:
    """Acks every command to ``device`` with ``ok`` and publishes the new actuator state, unless
    ``silent``. Records the commands it got."""

    def __init__(self, broker: Mosquitto, device: str) -> None:
        self.device = device
        self.silent = False
        self.commands: list[tuple[str, bytes, bool]] = []
        self.seq = 100
        self._subscribed = threading.Event()
        self.client = mqtt_client.Client(CallbackAPIVersion.VERSION2, protocol=mqtt_client.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe(T.command_filter(device), qos=1)
        wait_until(self._subscribed.is_set, 10, "the fake agent's subscription")

    def _on_message(self, _c: object, _u: object, msg: mqtt_client.MQTTMessage) -> None:
        actuator = msg.topic.split("/")[-2]
        self.commands.append((actuator, msg.payload, bool(msg.retain)))
        if self.silent:
            return
        command = decode_command(msg.payload)
        value = command.value in ("ON", True, "1", 1) if actuator == "relay1" else command.value
        self.seq += 1
        self.client.publish(
            T.state(self.device, actuator), state(self.seq, value, unit=None), 1, True
        )
        ack = Ack(cid=command.cid, status=AckStatus.OK, value=value, ts=now_ts())
        self.client.publish(T.ack(self.device, actuator), encode_model(ack), qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def agent(broker: Mosquitto, mqtt: Recorder) -> Iterator[FakeAgent]:
    announce(mqtt, "d1")
    fake = FakeAgent(broker, "d1")
    try:
        yield fake
    finally:
        fake.close()


def test_a_command_is_published_with_a_cid_and_answered_with_its_ack(
    start_gateway: StartGateway, agent: FakeAgent
) -> None:
    gateway = start_gateway()
    response = gateway.post("/api/devices/d1/actuators/relay1", json={"value": "ON"})
    assert response.status_code == 200
    ack = response.json()
    assert ack["status"] == "ok" and ack["value"] is True
    assert ack["device"] == "d1" and ack["actuator"] == "relay1"
    ((actuator, payload, retained),) = agent.commands
    sent = json.loads(payload)
    assert actuator == "relay1" and not retained
    assert sent["value"] is True and sent["cid"] == ack["cid"] and "exp" in sent
    wait_until(lambda: gateway.get("/api/devices/d1").json()["actuators"]["relay1"]["value"], 10)


def test_a_command_without_an_ack_times_out_with_504(
    start_gateway: StartGateway, agent: FakeAgent
) -> None:
    agent.silent = True
    gateway = start_gateway("--command-timeout", "1")
    response = gateway.post("/api/devices/d1/actuators/pwm1", json={"value": 0.5})
    assert response.status_code == 504
    assert len(agent.commands) == 1
    assert gateway.metric('pigw_gateway_commands_total{result="504"}') == 1


def test_refused_commands_never_reach_the_broker(
    start_gateway: StartGateway, agent: FakeAgent, mqtt: Recorder
) -> None:
    gateway = start_gateway()
    assert gateway.post("/api/devices/zz/actuators/relay1", json={"value": 1}).status_code == 404
    assert gateway.post("/api/devices/d1/actuators/zz", json={"value": 1}).status_code == 404
    assert gateway.post("/api/devices/d1/actuators/pwm1", json={"value": 7}).status_code == 422
    mqtt.publish(T.status("d1"), OFFLINE, retain=True)
    wait_until(lambda: not gateway.get("/api/devices/d1").json()["online"], 10)
    assert gateway.post("/api/devices/d1/actuators/relay1", json={"value": 1}).status_code == 409
    assert agent.commands == []


def test_a_viewer_token_may_not_command(
    start_gateway: StartGateway, agent: FakeAgent, tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens"
    viewer = create_token(tokens, "v", "viewer")
    operator = create_token(tokens, "o", "operator")
    gateway = start_gateway("--tokens-file", str(tokens))
    path = "/api/devices/d1/actuators/relay1"
    assert gateway.post(path, json={"value": 1}).status_code == 401
    headers = {"Authorization": f"Bearer {viewer}"}
    assert gateway.post(path, json={"value": 1}, headers=headers).status_code == 403
    headers = {"Authorization": f"Bearer {operator}"}
    assert gateway.post(path, json={"value": 1}, headers=headers).status_code == 200
    assert len(agent.commands) == 1
    log = gateway.process.output()
    assert viewer not in log and operator not in log


def ws_messages(socket: object, count: int) -> list[dict[str, object]]:
    return [json.loads(socket.recv(timeout=20)) for _ in range(count)]  # type: ignore[attr-defined]


def test_the_websocket_streams_events_and_takes_commands(
    start_gateway: StartGateway, agent: FakeAgent, mqtt: Recorder
) -> None:
    gateway = start_gateway()
    url = gateway.url.replace("http", "ws") + "/api/ws"
    with connect(url) as ws:
        (snapshot,) = ws_messages(ws, 1)
        assert snapshot["type"] == "snapshot" and snapshot["id"]
        mqtt.publish(T.state("d1", "t"), state(1, 20.0), retain=True)
        (reading,) = ws_messages(ws, 1)
        assert reading["type"] == "reading" and reading["data"]["seq"] == 1  # type: ignore[index]
        ws.send(json.dumps({"type": "command", "device": "d1", "actuator": "relay1",
                            "value": "ON", "cid": "c-1"}))  # fmt: skip
        got = ws_messages(ws, 3)
        by_type = {m["type"]: m for m in got}
        assert set(by_type) == {"actuator", "ack", "command_result"}
        result = by_type["command_result"]["data"]
        assert result["status"] == 200 and result["cid"] == "c-1"  # type: ignore[index]
        assert by_type["ack"]["data"]["cid"] == "c-1"  # type: ignore[index]
        ws.send(json.dumps({"type": "command", "device": "nope", "actuator": "x", "value": 1}))
        (refused,) = ws_messages(ws, 1)
        assert refused["type"] == "command_result" and refused["data"]["status"] == 404  # type: ignore[index]
        ws.send("not json")
        (error,) = ws_messages(ws, 1)
        assert error["type"] == "error"
        ws.send(b'{"type": "command"}')  # a binary frame is answered, and the reader goes on
        (error,) = ws_messages(ws, 1)
        assert error["type"] == "error" and "binary" in error["data"]["detail"]  # type: ignore[index]
        ws.send(json.dumps({"type": "command", "device": "nope", "actuator": "x", "value": 1}))
        (refused,) = ws_messages(ws, 1)
        assert refused["data"]["status"] == 404  # type: ignore[index]
        last_id = str(reading["id"])
    mqtt.publish(T.state("d1", "t"), state(2, 21.0), retain=True)
    # The stream ended with its client: no subscriber and no slot left behind.
    wait_until(lambda: gateway.metric('pigw_gateway_subscribers{transport="ws"}') == 0, 20)
    with connect(f"{url}?last_event_id={last_id}") as ws:
        missed = ws_messages(ws, 3)
        assert [m["type"] for m in missed] == ["actuator", "ack", "reading"]
        assert missed[2]["data"]["seq"] == 2  # type: ignore[index]
    assert "Exception in ASGI application" not in gateway.process.output()


def test_the_websocket_checks_origin_and_token(start_gateway: StartGateway, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    viewer = create_token(tokens, "v", "viewer")
    gateway = start_gateway("--tokens-file", str(tokens), "--cors-origin", "https://ui.example")
    url = gateway.url.replace("http", "ws") + "/api/ws"
    with pytest.raises(InvalidStatus) as missing:
        connect(url)
    assert missing.value.response.status_code == 401
    auth = {"Authorization": f"Bearer {viewer}"}
    with pytest.raises(InvalidStatus) as foreign:
        connect(url, additional_headers=auth, origin="https://evil.example")  # type: ignore[arg-type]
    assert foreign.value.response.status_code == 403
    for origin in ("https://ui.example", gateway.url):
        with connect(url, additional_headers=auth, origin=origin) as ws:  # type: ignore[arg-type]
            assert json.loads(ws.recv(timeout=20))["type"] == "snapshot"
    with connect(url, additional_headers=auth) as ws:
        ws.send(json.dumps({"type": "command", "device": "d1", "actuator": "relay1", "value": 1}))
        reply = json.loads(ws.recv(timeout=20))
        while reply["type"] != "command_result":
            reply = json.loads(ws.recv(timeout=20))
        assert reply["data"]["status"] == 403
