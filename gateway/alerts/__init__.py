"""Alerts (issue 16, CONTRACT.md v3 "Alerts"): rules from a TOML file, a pure state machine per
(rule, device, point), the store that makes them survive restarts and deliver once, and the
notifiers (webhook, MQTT). ``docs/alerts.md`` is the operator's account."""
