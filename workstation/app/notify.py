"""Alert delivery for the application: the ``[notify]`` table of settings.toml turned into
channels (their secrets from the keyring or a 0600 file, never from settings), the queue, and
:class:`AlertDelivery`, whose ``on_record`` takes each new AlertRecord from the engine. Settings
(every key optional; a channel is on when its table is there)::

    [notify]
    coalesce_s = 10                  # alerts within this long of the last message join the next
    [notify.webhook]
    url = "https://desk.example/hook"
    severities = ["warning", "critical"]   # default
    rules = []                       # rule ids; empty: every rule
    secret_file = "/etc/ws/whsec"    # optional; else the keyring (`workstation notify secret set`)
    [notify.telegram]                # the bot token: keyring, or secret_file (0600)
    chat_id = "-1001234567890"
    base_url = "https://api.telegram.org"  # default
    severities = ["critical"]
    [notify.email]                   # always STARTTLS; the password: keyring, or secret_file
    host = "smtp.example.com"
    port = 587                       # default
    username = "desk@example.com"    # optional: no login without it
    from = "desk@example.com"
    to = ["trader@example.com"]
    ca_file = "/etc/ssl/private-ca.pem"  # optional: the CA of the server's certificate

Any thread (``on_record`` returns at once; the queue's workers do the network)."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workstation.account.secrets import KeyringUnavailable, Secret, load_secret
from workstation.app.feed_config import SettingsError, read_settings, settings_path
from workstation.core.records import AlertRecord
from workstation.core.userdirs import user_paths
from workstation.notify.delivery import (
    SEVERITIES,
    Channel,
    DeliveryLog,
    DeliveryQueue,
    Route,
)
from workstation.notify.smtp import EmailChannel
from workstation.notify.telegram import DEFAULT_BASE_URL as TELEGRAM_BASE_URL
from workstation.notify.telegram import TelegramChannel
from workstation.notify.webhook import WebhookChannel, WebhookSecretError

CHANNELS = ("webhook", "telegram", "email")
SECRET_NAMES = {
    "webhook": "notify:webhook_secret",
    "telegram": "notify:telegram_bot_token",
    "email": "notify:smtp_password",
}
SECRET_WHAT = {
    "webhook": "webhook secret (whsec_<base64>)",
    "telegram": "Telegram bot token",
    "email": "SMTP password",
}


class NotifyError(SettingsError):
    """A channel that cannot be set up: the message names the setting or file, never a secret."""


def delivery_log() -> DeliveryLog:
    return DeliveryLog(user_paths()["delivery log"])


def read_secret_file(path: str | Path) -> Secret:
    """A secret kept in a file, refused unless only its owner may read it (mode 0600 or less)."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        raise NotifyError(f"{p}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise NotifyError(
            f"{p}: mode {stat.S_IMODE(mode):04o} lets others read it: `chmod 600 {p}` first"
        )
    try:
        value = p.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise NotifyError(f"{p}: cannot read the secret ({type(exc).__name__})") from None
    if not value:
        raise NotifyError(f"{p}: the file is empty")
    return Secret(value)


def _secret(channel: str, file: str | Path | None) -> Secret:
    if file:
        return read_secret_file(file)
    try:
        secret = load_secret(SECRET_NAMES[channel])
    except KeyringUnavailable as exc:
        raise NotifyError(f"[notify.{channel}]: {exc}") from None
    if secret is None:
        raise NotifyError(
            f"[notify.{channel}]: no {SECRET_WHAT[channel]} in the keyring: run "
            f"`workstation notify secret set {channel}`"
        )
    return secret


def _route(where: str, table: Mapping[str, Any]) -> Route:
    sev = table.get("severities", ["warning", "critical"])
    rules = table.get("rules", [])
    if not isinstance(sev, list) or any(s not in SEVERITIES for s in sev):
        raise NotifyError(f"{where} severities: a list of {', '.join(SEVERITIES)}")
    if not isinstance(rules, list) or any(not isinstance(r, str) for r in rules):
        raise NotifyError(f"{where} rules: a list of rule ids")
    return Route(frozenset(sev), frozenset(rules))


def notify_settings() -> dict[str, Any]:
    table = read_settings().get("notify", {})
    if not isinstance(table, dict):
        raise NotifyError(f"{settings_path()}: [notify] must be a table")
    return table


def _url(where: str, table: Mapping[str, Any], key: str, default: str | None = None) -> str:
    url = table.get(key, default)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise NotifyError(f"{where} {key}: an http(s):// URL is needed")
    return url


def _email(where: str, table: Mapping[str, Any], password: Secret | None) -> EmailChannel:
    host, port, to = table.get("host"), table.get("port", 587), table.get("to")
    sender, username, ca_file = table.get("from"), table.get("username"), table.get("ca_file")
    if not isinstance(host, str) or not host:
        raise NotifyError(f"{where} host: the SMTP server's name is needed")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise NotifyError(f"{where} port: a TCP port (default 587)")
    if isinstance(to, str):
        to = [to]
    if (
        not isinstance(to, list)
        or not to
        or any(not isinstance(a, str) or "@" not in a for a in to)
    ):
        raise NotifyError(f"{where} to: a list of e-mail addresses is needed")
    if not isinstance(sender, str) or "@" not in sender:
        raise NotifyError(f"{where} from: the sender's e-mail address is needed")
    for key, value in (("username", username), ("ca_file", ca_file)):
        if value is not None and not isinstance(value, str):
            raise NotifyError(f"{where} {key}: a string")
    return EmailChannel(
        host, port, sender, tuple(to), username=username, password=password, ca_file=ca_file
    )


def _channel(name: str, where: str, table: Mapping[str, Any], secret: Secret | None) -> Channel:
    if name == "email":
        return _email(where, table, secret)
    assert secret is not None  # webhook and telegram always need theirs
    if name == "webhook":
        try:
            return WebhookChannel(_url(where, table, "url"), secret)
        except WebhookSecretError as exc:
            raise NotifyError(f"webhook secret: {exc}") from None
    chat_id = table.get("chat_id")
    if not isinstance(chat_id, str | int) or isinstance(chat_id, bool) or not str(chat_id):
        raise NotifyError(f"{where} chat_id: the chat's id (a number or @channel name) is needed")
    base_url = _url(where, table, "base_url", TELEGRAM_BASE_URL)
    return TelegramChannel(str(chat_id), secret, base_url=base_url)


def build_channels(
    settings: Mapping[str, Any],
    *,
    only: str | None = None,
    webhook_url: str | None = None,
    webhook_secret_file: str | Path | None = None,
) -> list[tuple[Channel, Route]]:
    """The channels of ``settings`` (the ``[notify]`` table), or just ``only``; ``webhook_url``
    and ``webhook_secret_file`` (the command line's) win over the settings."""
    out: list[tuple[Channel, Route]] = []
    for name in CHANNELS:
        table = settings.get(name)
        if name == "webhook" and webhook_url:
            table = {**(table or {}), "url": webhook_url}
        if table is None or (only and name != only):
            continue
        where = f"{settings_path()}: [notify.{name}]"
        if not isinstance(table, dict):
            raise NotifyError(f"{where} must be a table")
        route = _route(where, table)
        file = webhook_secret_file if name == "webhook" and webhook_secret_file else None
        needs_secret = name != "email" or bool(table.get("username"))  # SMTP without login
        secret = _secret(name, file or table.get("secret_file")) if needs_secret else None
        out.append((_channel(name, where, table, secret), route))
    if only and not out:
        raise NotifyError(f"{settings_path()}: no [notify.{only}] table: the channel is not set up")
    return out


class AlertDelivery:
    """Hands each AlertRecord that became active to the queue, with the session's name. The
    lead's window and ``workstation watch`` call :meth:`on_record` with every new record."""

    def __init__(self, queue: DeliveryQueue, session: str = "") -> None:
        self.queue = queue
        self.session = session

    def on_record(self, record: object) -> None:
        """Queue ``record`` if it is an alert that became active (others are ignored)."""
        if isinstance(record, AlertRecord) and record.state == "active":
            self.queue.submit({**record.to_json(), "session": self.session})

    def on_records(self, records: Iterable[object]) -> None:
        """:meth:`on_record` for each of the engine's new records, as the window gets them."""
        for record in records:
            self.on_record(record)

    def close(self) -> None:
        self.queue.close()


def start_delivery(session: str = "", **options: Any) -> AlertDelivery | None:
    """Delivery as settings.toml asks (None when no channel is set up); ``options`` as
    :func:`build_channels` takes them."""
    settings = notify_settings()
    routes = build_channels(settings, **options)
    if not routes:
        return None
    coalesce_s = settings.get("coalesce_s", 10.0)
    if not isinstance(coalesce_s, int | float) or coalesce_s < 0:
        raise NotifyError(f"{settings_path()}: [notify] coalesce_s: seconds, 0 or more")
    return AlertDelivery(DeliveryQueue(routes, delivery_log(), coalesce_s=coalesce_s), session)


def sample_alert(now_ms: int | None = None) -> dict[str, Any]:
    """The alert `notify test` sends: plainly a test, severity info."""
    return {
        "type": "alert",
        "ts_ms": int(time.time() * 1000) if now_ms is None else now_ms,
        "rule": "test",
        "venue": "-",
        "symbol": "-",
        "state": "active",
        "severity": "info",
        "message": "test message from workstation: delivery works",
        "action": "",
        "values": {},
        "session": "",
    }
