"""The alerts' Prometheus metrics, read from their counters at scrape time (like
:class:`gateway.metrics.DomainCollector`); registered by the lifespan beside it."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.alerts.service import Alerting

PREFIX = "pigw_gateway_"


class AlertsCollector(Collector):
    def __init__(self, alerting: Alerting) -> None:
        self.alerting = alerting

    def collect(self) -> Iterable[Metric]:
        alerting = self.alerting
        active = GaugeMetricFamily(PREFIX + "alerts", "alerts now, by state", labels=["state"])
        counts = {"pending": 0, "firing": 0}
        for alert in alerting.engine.active():
            counts[alert.state] += 1
        for state, count in counts.items():
            active.add_metric([state], count)
        rules = GaugeMetricFamily(PREFIX + "alert_rules", "rules in the alerts file")
        rules.add_metric([], len(alerting.engine.rules.rules))
        stats = alerting.dispatcher.stats
        notifications = CounterMetricFamily(
            PREFIX + "alert_notifications",
            "alert deliveries by notifier and outcome (sent, retried attempts, failed after "
            "--alert-retry-s, dropped at the bound)",
            labels=["notifier", "outcome"],
        )
        for outcome, by_name in (
            ("sent", stats.sent),
            ("retried", stats.retried),
            ("failed", stats.failed),
            ("dropped", stats.dropped),
        ):
            for name in sorted(set(alerting.dispatcher.senders) | set(by_name)):
                notifications.add_metric([name, outcome], by_name.get(name, 0))
        pending = GaugeMetricFamily(PREFIX + "alert_deliveries_pending", "deliveries under way")
        pending.add_metric([], alerting.dispatcher.pending)
        queued = GaugeMetricFamily(PREFIX + "alert_changes_queued", "changes waiting for the store")
        queued.add_metric([], alerting.queued)
        own = alerting.stats
        events = CounterMetricFamily(
            PREFIX + "alert_events",
            "what the alerts' edge had to do: store errors, changes dropped at the queue's "
            "bound, claims another replica won, alerts refused at the engine's bound",
            labels=["what"],
        )
        events.add_metric(["store_error"], own.store_errors)
        events.add_metric(["change_dropped"], own.dropped_changes)
        events.add_metric(["claim_lost"], own.claims_lost)
        events.add_metric(["alert_refused"], alerting.engine.refused)
        reloads = CounterMetricFamily(
            PREFIX + "alert_reloads", "alerts file re-reads (SIGHUP) by result", labels=["result"]
        )
        for result in ("ok", "refused"):
            reloads.add_metric([result], own.reloads.get(result, 0))
        return [active, rules, notifications, pending, queued, events, reloads]
