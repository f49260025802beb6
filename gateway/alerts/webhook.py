"""The webhook notifier: ``POST`` of the alert's JSON with httpx (CONTRACT.md v3).

A 2xx answer is a delivery. Anything else — a refused connection, no answer within the
notifier's ``timeout``, a non-2xx status — is :class:`DeliveryFailed`, which the dispatcher
retries. Redirects are not followed (a webhook URL that moved is a configuration to fix, and
following one would re-POST the alert to an address nobody configured).
"""

from __future__ import annotations

import httpx

from gateway.alerts.alert import Alert
from gateway.alerts.delivery import DeliveryFailed
from gateway.alerts.rules import WebhookNotifier


class WebhookSender:
    def __init__(self, notifier: WebhookNotifier, client: httpx.AsyncClient) -> None:
        self.name = notifier.name
        self.notifier = notifier
        self._client = client
        self._headers = dict(notifier.headers)

    async def send(self, alert: Alert) -> None:
        try:
            response = await self._client.post(
                self.notifier.url,
                json=alert.doc(),
                headers=self._headers,
                timeout=self.notifier.timeout,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from {self.notifier.url}")
