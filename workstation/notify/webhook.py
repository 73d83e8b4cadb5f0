"""The webhook channel: one JSON object per delivery (the headline alert's keys; a coalesced
delivery lists the others under ``more``), POSTed and signed as the Standard Webhooks
specification says: ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, keyed by the
base64-decoded part of a ``whsec_<base64>`` secret. Any thread (the queue's worker)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from workstation.account.secrets import Secret
from workstation.notify.delivery import Delivery, Outcome, http_outcome, parse_retry_after

ALERT_KEYS = (
    "type", "ts_ms", "rule", "venue", "symbol", "state", "severity", "message", "action",
    "values", "session",
)  # fmt: skip


class WebhookSecretError(ValueError):
    """A webhook secret that is not ``whsec_<base64>`` (the message never holds the secret)."""


def secret_key(secret: Secret) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret."""
    value = secret.reveal().strip()
    if not value.startswith("whsec_"):
        raise WebhookSecretError("a webhook secret is written whsec_<base64>")
    try:
        key = base64.b64decode(value[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSecretError(
            "the part after whsec_ of the webhook secret is not base64"
        ) from None
    if not key:
        raise WebhookSecretError("the webhook secret is empty after whsec_")
    return key


def signature_headers(key: bytes, msg_id: str, ts_s: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` (bytes exactly as sent)."""
    signed = f"{msg_id}.{ts_s}.".encode() + body
    sig = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts_s), "webhook-signature": f"v1,{sig}"}


def payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON object: the headline alert's keys, and ``more`` (the other alerts) if coalesced."""

    def one(alert: Mapping[str, Any]) -> dict[str, Any]:
        return {k: alert.get(k, "alert" if k == "type" else None) for k in ALERT_KEYS}

    body = one(delivery.top)
    if len(delivery.alerts) > 1:
        body["more"] = [one(a) for a in delivery.alerts[1:]]
    return body


class WebhookChannel:
    """POSTs to ``url`` with a ``timeout_s`` per attempt; ``now_s`` gives the Unix timestamp."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: Secret,
        *,
        timeout_s: float = 10.0,
        now_s: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._secret = secret
        self._key = secret_key(secret)
        self.timeout_s = timeout_s
        self.now_s = now_s

    def secrets(self) -> tuple[str, ...]:
        return (self._secret.reveal(),)

    def send(self, delivery: Delivery) -> Outcome:
        body = json.dumps(payload(delivery), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            **signature_headers(self._key, delivery.id, int(self.now_s()), body),
        }
        try:
            resp = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return Outcome(error=f"{type(exc).__name__}: {exc}", retry=True)
        return http_outcome(resp.status_code, parse_retry_after(resp.headers.get("retry-after")))
