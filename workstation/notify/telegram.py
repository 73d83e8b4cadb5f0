"""The Telegram channel: the Bot API's ``sendMessage`` (one text per delivery) to a chat. The
bot token is in the URL's path, so it is passed as a Secret and kept out of every error. A 429
answer's ``parameters.retry_after`` (seconds) is honoured. Any thread (the queue's worker)."""

from __future__ import annotations

import contextlib

import httpx

from workstation.account.secrets import Secret
from workstation.notify.delivery import Delivery, Outcome, http_outcome, parse_retry_after

DEFAULT_BASE_URL = "https://api.telegram.org"


class TelegramChannel:
    """``base_url`` is the Bot API's (configurable, so tests use a local server)."""

    name = "telegram"

    def __init__(
        self,
        chat_id: str,
        token: Secret,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 10.0,
    ) -> None:
        self.chat_id = chat_id
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def secrets(self) -> tuple[str, ...]:
        return (self._token.reveal(),)

    def send(self, delivery: Delivery) -> Outcome:
        url = f"{self.base_url}/bot{self._token.reveal()}/sendMessage"
        body = {"chat_id": self.chat_id, "text": delivery.text(), "disable_web_page_preview": True}
        try:
            resp = httpx.post(url, json=body, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return Outcome(error=type(exc).__name__, retry=True)
        retry_after = parse_retry_after(resp.headers.get("retry-after"))
        if resp.status_code == 429:
            with contextlib.suppress(ValueError, KeyError, TypeError):  # else the header's
                retry_after = float(resp.json()["parameters"]["retry_after"])
        return http_outcome(resp.status_code, retry_after)
