"""Delivery: retries with backoff until --alert-retry-s, bounded, counted, in order per alert.

The dispatcher's own logic runs against fake senders and a fake clock; the webhook sender runs
against real HTTP servers on 127.0.0.1 (one answering 500 a few times, one that hangs, a port
that refuses)."""

from __future__ import annotations

import asyncio

from gateway.alerts.alert import Alert
from gateway.alerts.delivery import DeliveryFailed, Dispatcher, Sender
from gateway.alerts.rules import WebhookNotifier
from gateway.alerts.webhook import WebhookClient, WebhookSender
from tests.alerts.receiver import Receiver
from tests.support.ports import free_port
from tests.support.waiting import async_wait_until

FIRING = Alert("hot", "room", "temp", "firing", "warning", 31.0, 1000.0, 1060.0, 1)
RESOLVED = FIRING.moved("resolved", 1100.0, value=27.0, seq=2)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # poll: one yield to the delivery task, not a wait


class Flaky:
    def __init__(self, name: str, failures: int, gate: asyncio.Event | None = None) -> None:
        self.name = name
        self.failures = failures
        self.gate = gate
        self.delivered: list[tuple[str, int]] = []

    async def send(self, alert: Alert) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryFailed("HTTP 500")
        self.delivered.append((alert.state, alert.seq))


def dispatcher(senders: dict[str, Sender], fake: FakeTime, **kw: float) -> Dispatcher:
    return Dispatcher(senders, clock=fake.clock, sleep=fake.sleep, **kw)  # type: ignore[arg-type]


async def test_a_failing_receiver_is_retried_with_growing_backoff_until_it_answers() -> None:
    fake, sender = FakeTime(), Flaky("hook", failures=4)
    deliveries = dispatcher({"hook": sender}, fake, retry_s=600)
    deliveries.deliver(FIRING, ("hook",))
    await deliveries.idle()
    assert sender.delivered == [("firing", 1)]
    assert deliveries.stats.sent == {"hook": 1} and deliveries.stats.retried == {"hook": 4}
    # 1, 2, 4, 8 s nominal; jitter takes at most half off each.
    assert len(fake.slept) == 4 and fake.slept[0] <= 1.0 and fake.slept[-1] >= 4.0


async def test_retries_stop_after_retry_s_and_count_a_failure() -> None:
    fake, sender = FakeTime(), Flaky("hook", failures=10_000)
    deliveries = dispatcher({"hook": sender}, fake, retry_s=120)
    deliveries.deliver(FIRING, ("hook",))
    await deliveries.idle()
    assert sender.delivered == []
    assert deliveries.stats.failed == {"hook": 1}
    assert fake.now <= 120
    assert deliveries.stats.retried["hook"] >= 5


async def test_resolved_never_overtakes_its_firing() -> None:
    fake, sender = FakeTime(), Flaky("hook", failures=3)
    deliveries = dispatcher({"hook": sender}, fake, retry_s=600)
    deliveries.deliver(FIRING, ("hook",))
    deliveries.deliver(RESOLVED, ("hook",))
    await deliveries.idle()
    assert sender.delivered == [("firing", 1), ("resolved", 2)]


async def test_deliveries_beyond_the_bound_are_dropped_and_counted() -> None:
    fake, gate = FakeTime(), asyncio.Event()
    sender = Flaky("hook", failures=0, gate=gate)
    deliveries = dispatcher({"hook": sender}, fake, retry_s=600, max_pending=2)
    for n in range(5):
        deliveries.deliver(FIRING.moved("firing", 1060.0, rule=f"r{n}"), ("hook",))
    assert deliveries.pending == 2 and deliveries.stats.dropped == {"hook": 3}
    gate.set()
    await deliveries.idle()
    assert deliveries.stats.sent == {"hook": 2}


async def test_close_cancels_deliveries_under_way() -> None:
    fake, gate = FakeTime(), asyncio.Event()
    deliveries = dispatcher({"hook": Flaky("hook", 0, gate)}, fake, retry_s=600)
    deliveries.deliver(FIRING, ("hook",))
    await deliveries.close()
    assert deliveries.pending == 0 and deliveries.stats.sent == {}


async def test_real_webhooks_500_then_ok_hanging_and_refusing() -> None:
    refused_url = f"http://127.0.0.1:{free_port()}/hook"
    with Receiver(failures=3) as flaky, Receiver(hang=True) as hanging, Receiver() as good:
        client = WebhookClient()  # the gateway's own: httpx's client made at the first POST
        try:
            notifiers = {
                "flaky": WebhookNotifier("flaky", flaky.url, (("X-Pigw", "yes"),)),
                "hanging": WebhookNotifier("hanging", hanging.url, timeout=0.5),
                "refusing": WebhookNotifier("refusing", refused_url),
                "good": WebhookNotifier("good", good.url),
            }
            senders: dict[str, Sender] = {
                name: WebhookSender(n, client) for name, n in notifiers.items()
            }
            deliveries = Dispatcher(senders, retry_s=3.0, backoff_first=0.05, backoff_max=0.2)
            deliveries.deliver(FIRING, tuple(notifiers))
            # The good receiver is not held up by the hanging one.
            await async_wait_until(lambda: good.received, 5, "the good receiver's POST")
            assert hanging.requests >= 1 and deliveries.stats.sent.get("hanging") is None
            await async_wait_until(lambda: flaky.received, 10, "the flaky receiver's POST")
            await async_wait_until(lambda: deliveries.pending == 0, 15, "every delivery to end")
            assert client.started
        finally:
            await client.aclose()
    assert not client.started
    stats = deliveries.stats
    assert stats.sent == {"good": 1, "flaky": 1}
    assert stats.retried["flaky"] == 3 and flaky.requests == 4
    assert stats.failed == {"hanging": 1, "refusing": 1}
    assert stats.retried["refusing"] >= 2 and stats.retried["hanging"] >= 1
    assert good.received == [FIRING.doc()]
    assert flaky.headers[0]["X-Pigw"] == "yes"
    assert set(good.received[0]) == {
        "rule", "device", "point", "state", "severity", "value", "since", "ts", "acknowledged_by",
    }  # fmt: skip
