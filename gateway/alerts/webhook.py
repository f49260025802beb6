"""The webhook notifier: ``POST`` of the alert's JSON with httpx (CONTRACT.md v3).

A 2xx answer is a delivery. Anything else — a refused connection, no answer within the
notifier's ``timeout``, a non-2xx status — is :class:`DeliveryFailed`, which the dispatcher
retries. Redirects are not followed (a webhook URL that moved is a configuration to fix, and
following one would re-POST the alert to an address nobody configured).

httpx is imported, and its client (with its TLS context) made, at the first webhook sent:
:class:`WebhookClient`. Most gateways have no webhook, and the two cost ~3.5 MB of RSS (more
where httpx finds ``rich`` installed and loads its command line too).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

from gateway.alerts.alert import Alert
from gateway.alerts.delivery import DeliveryFailed
from gateway.alerts.rules import WebhookNotifier

if TYPE_CHECKING:
    import httpx


class Poster(Protocol):
    """What a webhook needs of an HTTP client: httpx's ``AsyncClient.post``."""

    async def post(
        self, url: str, *, json: Any, headers: dict[str, str], timeout: float
    ) -> httpx.Response: ...


class WebhookClient:
    """One shared ``httpx.AsyncClient``, made at the first ``post``; :meth:`aclose` closes it if
    it was made."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    @property
    def started(self) -> bool:
        return self._client is not None

    async def post(
        self, url: str, *, json: Any, headers: dict[str, str], timeout: float
    ) -> httpx.Response:
        if self._client is None:
            self._client = _httpx().AsyncClient(follow_redirects=False)
        return await self._client.post(url, json=json, headers=headers, timeout=timeout)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _httpx() -> Any:
    return importlib.import_module("httpx")


class WebhookSender:
    def __init__(self, notifier: WebhookNotifier, client: Poster) -> None:
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
        except _httpx().HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from {self.notifier.url}")
