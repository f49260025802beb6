"""Sensors → state messages: digital edges (debounced) and sampled values (deadband/heartbeat),
with per-sensor availability. Runs on the agent's loop; gpiozero's threads reach it only through
:meth:`Sensing.edge_from_thread`, and blocking reads run in a small thread pool."""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor

from device_agent.availability import Availability
from device_agent.config import BoardConfig
from device_agent.hardware.analog import AnalogInput
from device_agent.hardware.board import Board
from device_agent.kinds import EdgeSensor, SampledSensor
from device_agent.publisher import Publisher
from device_agent.sampling import AnalogPolicy, Debouncer

log = logging.getLogger(__name__)


class Sensing:
    def __init__(
        self,
        config: BoardConfig,
        board: Board,
        publisher: Publisher,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.config = config
        self.board = board
        self.publisher = publisher
        self.loop = loop
        self.readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pigw-read")
        self.debouncers: dict[str, Debouncer] = {}
        self.availability: dict[str, Availability] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.edges = 0
        self.stopped = False

    def start(self) -> None:
        """Publish every digital input's current level, then watch edges and sample values."""
        for sensor_id, sensor in self.config.sensors.items():
            self.availability[sensor_id] = Availability(sensor.failures_before_offline)
            if isinstance(sensor, EdgeSensor):
                self.debouncers[sensor_id] = Debouncer(sensor.debounce, sensor.heartbeat)
                device = self.board.digital[sensor_id]
                self.edge(sensor_id, device.level())
                device.watch(functools.partial(self.edge_from_thread, sensor_id))
            else:
                self.tasks.append(
                    self.loop.create_task(self._sample(sensor_id), name=f"sample-{sensor_id}")
                )
        if self.debouncers:
            self.tasks.append(self.loop.create_task(self._heartbeats(), name="heartbeats"))

    async def stop(self) -> None:
        self.stopped = True  # edges still in flight from gpiozero's threads are ignored
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        self.readers.shutdown(wait=True, cancel_futures=True)

    # --- digital ----------------------------------------------------------------------------
    def edge_from_thread(self, sensor_id: str, level: bool) -> None:
        """Called on gpiozero's thread: hand over, nothing else (STYLE.md, principle 5)."""
        try:
            self.loop.call_soon_threadsafe(self.edge, sensor_id, level)
        except RuntimeError:  # the loop is closed: the agent is shutting down
            return

    def edge(self, sensor_id: str, level: bool) -> None:
        if self.stopped:
            return
        self.edges += 1
        debouncer = self.debouncers[sensor_id]
        decision = debouncer.edge(level, self.loop.time())
        if decision.publish:
            self.publisher.state(sensor_id, level, is_sensor=True)
        if decision.recheck_at is not None:
            self.loop.call_at(decision.recheck_at, self._settle, sensor_id)

    def _settle(self, sensor_id: str) -> None:
        if self.stopped:
            return
        debouncer = self.debouncers[sensor_id]
        if debouncer.settle(self.loop.time()) and debouncer.last_level is not None:
            self.publisher.state(sensor_id, debouncer.last_level, is_sensor=True)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(1.0)  # poll: heartbeats are minutes apart
            now = self.loop.time()
            for sensor_id, debouncer in self.debouncers.items():
                if debouncer.heartbeat_due(now) and debouncer.last_level is not None:
                    self.publisher.state(sensor_id, debouncer.last_level, is_sensor=True)

    # --- sampled ----------------------------------------------------------------------------
    async def _sample(self, sensor_id: str) -> None:
        sensor = self.config.sensors[sensor_id]
        assert isinstance(sensor, SampledSensor)
        reader: AnalogInput = self.board.analog[sensor_id]
        policy = AnalogPolicy(sensor.deadband, sensor.heartbeat)
        availability = self.availability[sensor_id]
        # gpiozero's sampling devices (distance, light) need a moment to take their first samples.
        await asyncio.sleep(min(sensor.interval, 0.5))
        while True:
            started = self.loop.time()
            try:
                raw = await self.loop.run_in_executor(self.readers, reader.read)
            except Exception as exc:  # noqa: BLE001 - any failed read counts, none stops sampling
                change = availability.failure()
                log.warning(
                    "read failed (%d in a row): %s",
                    availability.failures,
                    exc,
                    extra={"sensor": sensor_id},
                )
            else:
                change = availability.success()
                value = round(raw * sensor.scale + sensor.offset, sensor.decimals)
                if policy.should_publish(value, self.loop.time()):
                    self.publisher.state(sensor_id, value, sensor.unit, is_sensor=True)
            if change is not None:
                log.warning("sensor %s is now %s", sensor_id, "online" if change else "offline")
                self.publisher.set_availability(sensor_id, change)
            elapsed = self.loop.time() - started
            await asyncio.sleep(max(0.0, sensor.interval - elapsed))
