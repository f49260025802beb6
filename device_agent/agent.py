"""The agent's lifetime: builds everything in :meth:`Agent.run`, runs until SIGTERM/SIGINT, and
tears down in reverse (docs/agent.md, "Lifecycle").

One asyncio loop owns all agent state. Other threads (gpiozero's callbacks, paho's network
thread, the sensor-read pool) reach it only through ``loop.call_soon_threadsafe`` (or the
executor futures that asyncio completes the same way).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from pathlib import Path

import pigw
from device_agent.actuation import Actuation
from device_agent.config import BoardConfig
from device_agent.discovery import discovery_payload
from device_agent.hardware.board import Board, build_board
from device_agent.kinds import SampledSensor
from device_agent.mqtt import Incoming, LinkHandlers, MqttLink
from device_agent.outbox import Outbox
from device_agent.publisher import Publisher, json_bytes
from device_agent.sensing import Sensing
from device_agent.settings import AgentSettings
from pigw.contract import (
    ActuatorKind,
    ContractError,
    DeviceDescription,
    PointDescription,
    SensorKind,
    TopicKind,
    Topics,
    encode_description,
)

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0  # seconds to wait for the last PUBACKs before disconnecting
STATS_INTERVAL = 600.0


def software_version() -> str:
    return pigw.__version__


def build_meta(board: BoardConfig, device_id: str, boot: str) -> DeviceDescription:
    """The retained meta: every contract field of every entry, ``None`` (``null``) where it does
    not apply (a digital input has no interval or deadband, the CPU temperature no pin)."""
    sensors: dict[str, PointDescription] = {}
    for sid, s in board.sensors.items():
        sampled = s if isinstance(s, SampledSensor) else None
        sensors[sid] = PointDescription(
            kind=SensorKind(s.kind),
            unit=s.unit,
            device_class=s.device_class,
            interval=sampled.interval if sampled else None,
            heartbeat=s.heartbeat,
            deadband=sampled.deadband if sampled else None,
            pin=s.pin_label(),
            name=s.name,
        )
    actuators = {
        aid: PointDescription(kind=ActuatorKind(a.kind), pin=a.pin, settable=True, name=a.name)
        for aid, a in board.actuators.items()
    }
    return DeviceDescription(
        id=device_id,
        name=board.device.display_name(device_id),
        model=board.device.model,
        sw=software_version(),
        boot=boot,
        sensors=sensors,
        actuators=actuators,
    )


class Agent:
    def __init__(
        self, settings: AgentSettings, board: BoardConfig, device_id: str, outbox_path: Path
    ) -> None:
        self.settings = settings
        self.config = board
        self.device_id = device_id
        self.outbox_path = outbox_path
        self.topics = Topics(settings.topic_prefix, settings.discovery_prefix)
        self.boot = secrets.token_hex(4)
        self._stop = asyncio.Event()

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        outbox = Outbox(self.outbox_path, self.config.outbox)
        try:
            board = build_board(self.config, self.settings.simulate, self.settings.simulate_seed)
        except Exception:
            outbox.close()
            raise
        meta = encode_description(build_meta(self.config, self.device_id, self.boot))
        discovery = None
        if self.config.homeassistant.discovery:
            doc = discovery_payload(self.config, self.device_id, self.topics, software_version())
            discovery = (self.topics.discovery(self.device_id), json_bytes(doc))
        self.publisher = publisher = Publisher(
            self.device_id,
            self.topics,
            boot=self.boot,
            outbox=outbox,
            meta=meta,
            discovery=discovery,
            sensors=list(self.config.sensors),
        )
        self.sensing = sensing = Sensing(self.config, board, publisher, loop)
        self.actuation = actuation = Actuation(
            self.config,
            board,
            publisher,
            clock=loop.time,
            command_max_age=self.settings.command_max_age,
        )
        subscriptions = [
            self.topics.command_filter(self.device_id),
            self.topics.replay(self.device_id),
        ]
        if discovery is not None:
            subscriptions.append(self.topics.ha_status())
        self.link = link = MqttLink(
            self.settings,
            device_id=self.device_id,
            status_topic=self.topics.status(self.device_id),
            subscriptions=subscriptions,
            handlers=LinkHandlers(
                connected=self._connected,
                disconnected=self._disconnected,
                message=self._dispatch,
                published=publisher.on_published,
                subscribed=actuation.session.subscribed,
            ),
            loop=loop,
        )
        publisher.link = link
        log.info(
            "agent %s starting (boot %s, seq from %d, %d sensors, %d outputs%s)",
            self.device_id,
            self.boot,
            outbox.seqs.next_seq,
            len(self.config.sensors),
            len(self.config.actuators),
            ", simulated" if self.settings.simulate else "",
        )
        actuation.publish_all()
        if board.simulator is not None:
            board.simulator.tick(0.0)  # the simulated world exists before the first read
        sensing.start()
        tasks = [
            loop.create_task(link.run(), name="mqtt"),
            loop.create_task(self._commit_loop(outbox), name="outbox-commit"),
            loop.create_task(publisher.serve_replays(), name="replays"),
            loop.create_task(self._stats_loop(), name="stats"),
        ]
        if board.simulator is not None:
            tasks.append(loop.create_task(board.simulator.run(), name="simulator"))
        try:
            failed = await self._run_until_stopped(tasks)
        finally:
            await self._shutdown(tasks, board, outbox)
        # A task that died (the outbox cannot write: a full disk, a dying SD card) ends the agent
        # with an error after the safe shutdown, so that systemd restarts it and the device shows
        # offline meanwhile, instead of an agent that looks online and keeps nothing.
        return 1 if failed else 0

    async def _run_until_stopped(self, tasks: list[asyncio.Task[None]]) -> bool:
        """Wait for a stop request or for a task to end (they run forever, so that is a failure,
        logged here); True for a failure."""
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        failed = [task for task in tasks if task in done]
        for task in failed:
            error = None if task.cancelled() else task.exception()
            log.error("the %s task ended unexpectedly: stopping", task.get_name(), exc_info=error)
        return bool(failed)

    async def _shutdown(
        self, tasks: list[asyncio.Task[None]], board: Board, outbox: Outbox
    ) -> None:
        log.info("stopping: outputs to their safe state, offline, flushing the outbox")
        await self.sensing.stop()
        self.actuation.make_safe()
        self.publisher.offline()
        deadline = asyncio.get_running_loop().time() + SHUTDOWN_GRACE
        while self.publisher.inflight and self.link.connected:
            if asyncio.get_running_loop().time() > deadline:
                log.warning("%d publishes unacknowledged at shutdown", self.publisher.inflight)
                break
            await asyncio.sleep(0.01)  # poll: the last PUBACKs arrive within milliseconds
        self.link.disconnect()
        mqtt_task = tasks[0]
        reported = mqtt_task.done()  # then _run_until_stopped has logged how it ended
        for task in tasks[1:]:
            task.cancel()
        try:
            await asyncio.wait_for(mqtt_task, SHUTDOWN_GRACE)
        except TimeoutError:
            log.warning("the MQTT client did not stop in time")
        except Exception:
            if not reported:
                log.exception("the MQTT client ended with an error")
        await asyncio.gather(*tasks[1:], return_exceptions=True)
        try:
            outbox.close()
        except Exception:
            log.exception("the outbox did not close cleanly")
        finally:
            board.close()
        log.info("stopped", extra=self.publisher.describe())

    async def _commit_loop(self, outbox: Outbox) -> None:
        interval = self.config.outbox.commit_interval
        while True:
            await asyncio.sleep(interval)
            outbox.commit()

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            log.info("stats", extra=self.publisher.describe())

    def _connected(self) -> None:
        self.actuation.session.connected(self.link.session_present)
        self.publisher.on_connected()

    def _disconnected(self) -> None:
        self.actuation.session.disconnected(asyncio.get_running_loop().time())
        self.publisher.on_disconnected()

    def _dispatch(self, message: Incoming) -> None:
        if message.topic == self.topics.ha_status():
            if message.payload == b"online":
                log.info("Home Assistant came online: republishing")
                self.publisher.republish_all()
            return
        try:
            parsed = self.topics.parse(message.topic)
        except ContractError as exc:
            self._malformed(message, str(exc))
            return
        if parsed.device != self.device_id:
            self._malformed(message, "not addressed to this device")
        elif parsed.kind is TopicKind.SET and parsed.point is not None:
            self.actuation.command(parsed.point, message)
        elif parsed.kind is TopicKind.REPLAY:
            self.publisher.replay_request(message.payload)
        else:
            self._malformed(message, "not a topic the agent subscribes to")

    def _malformed(self, message: Incoming, why: str) -> None:
        self.publisher.counters.malformed += 1
        log.warning("ignored message: %s", why, extra={"topic": message.topic})
