"""Alert delivery (issue 17 item 2): the webhook against a local fake receiver on 127.0.0.1,
its Standard Webhooks signature checked by an HMAC written here from the specification, retries
(429 with Retry-After, 5xx, a receiver that is down), coalescing, the delivery log, the
`notify` commands, and the secret nowhere but the keyring or its 0600 file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from local_http import LocalHTTPServer

from workstation.account.secrets import Secret
from workstation.app.notify import AlertDelivery, read_secret_file, start_delivery
from workstation.cli.main import main
from workstation.core.records import AlertRecord
from workstation.core.userdirs import user_paths
from workstation.notify.delivery import Backoff, DeliveryLog, DeliveryQueue, Outcome, Route
from workstation.notify.telegram import TelegramChannel
from workstation.notify.webhook import WebhookChannel, signature_headers

KEY = b"0123456789abcdef0123456789abcdef"  # the HMAC key; the secret is whsec_ + base64 of it
SECRET = "whsec_" + base64.b64encode(KEY).decode()
FAST = Backoff(base_s=0.05, max_s=0.2)


def alert(rule: str = "skew_fear", severity: str = "warning", ts_ms: int = 1_700_000_000_000):
    return {
        "type": "alert",
        "ts_ms": ts_ms,
        "rule": rule,
        "venue": "deribit",
        "symbol": "BTCUSDT",
        "state": "active",
        "severity": severity,
        "message": "25d skew 8.1 vol pts > 7: puts bid",
        "action": "Hedge or smaller gross exposure.",
        "values": {"skew_25d_30d_volpts": 8.1},
        "session": "live",
    }


class Receiver(BaseHTTPRequestHandler):
    """Answers each POST with the next (status, headers[, JSON body]) of ``script`` (then 200);
    keeps each request's headers and body, and its path in ``paths``."""

    script: ClassVar[list[tuple]] = []
    got: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    paths: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.paths.append(self.path)
            status, headers, *answer = (
                self.script.pop(0) if self.script else (200, {}, {"ok": True})
            )
        data = json.dumps(answer[0]).encode() if answer else b""
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def receiver(script=()) -> type[Receiver]:
    fresh = {"script": list(script), "got": [], "paths": [], "lock": threading.Lock()}
    return type("R", (Receiver,), fresh)


def queue(url: str, tmp_path: Path, coalesce_s: float = 0.0, route: Route | None = None):
    log = DeliveryLog(tmp_path / "log.jsonl")
    q = DeliveryQueue(
        [(WebhookChannel(url, Secret(SECRET)), route or Route())],
        log,
        coalesce_s=coalesce_s,
        backoff=FAST,
    )
    return q, log


def verify(headers: dict[str, str], body: bytes, secret: str) -> bool:
    """Standard Webhooks, written from the specification: HMAC-SHA256 keyed by the base64
    decoding of what follows ``whsec_``, over ``<id>.<timestamp>.<body>``; the header is a space
    separated list of ``v1,<base64>``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s) for s in sigs)


def test_the_specifications_test_vector() -> None:
    # the Standard Webhooks specification's example: this secret, id, timestamp and payload sign
    # to v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    h = signature_headers(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert h["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_webhook_posts_one_signed_json_object_per_alert(tmp_path: Path) -> None:
    r = receiver()
    with LocalHTTPServer(r) as srv:
        q, log = queue(srv.url, tmp_path)
        q.submit(alert())
        assert q.wait_idle(10)
        q.close()
    [(headers, body)] = r.got
    assert headers["content-type"] == "application/json"
    assert verify(headers, body, SECRET)
    assert not verify(headers, body + b" ", SECRET)  # the check can fail
    assert headers["webhook-id"].startswith("msg_") and headers["webhook-timestamp"].isdigit()
    sent = json.loads(body)
    assert sent == alert()  # exactly the issue's keys, nothing else
    [entry] = log.entries()
    assert (entry["channel"], entry["rule"], entry["attempt"], entry["status"]) == (
        "webhook",
        "skew_fear",
        1,
        200,
    )
    assert entry["result"] == "delivered" and entry["error"] is None


def test_429_then_success_waits_as_retry_after_says(tmp_path: Path) -> None:
    r = receiver([(429, {"Retry-After": "1"})])
    with LocalHTTPServer(r) as srv:
        q, log = queue(srv.url, tmp_path)
        q.submit(alert())
        assert q.wait_idle(10)
        q.close()
    first, second = log.entries()
    # own backoff after 1 failure is 0.05 s; the receiver asked for 1 s, which wins
    assert (first["status"], first["result"], first["retry_in_s"]) == (429, "retry", 1.0)
    assert (second["status"], second["result"], second["attempt"]) == (200, "delivered", 2)
    assert len(r.got) == 2 and r.got[0][0]["webhook-id"] == r.got[1][0]["webhook-id"]


def test_5xx_is_retried_with_backoff_and_4xx_is_not(tmp_path: Path) -> None:
    r = receiver([(503, {}), (500, {}), (200, {}), (400, {})])
    with LocalHTTPServer(r) as srv:
        q, log = queue(srv.url, tmp_path)
        q.submit(alert("one"))
        assert q.wait_idle(10)
        q.submit(alert("two"))  # answered 400 at its first attempt: given up
        assert q.wait_idle(10)
        q.close()
    got = [
        (e["rule"], e["attempt"], e["status"], e["result"], e["retry_in_s"]) for e in log.entries()
    ]
    assert got == [
        ("one", 1, 503, "retry", 0.05),  # 0.05 * 2**0
        ("one", 2, 500, "retry", 0.1),  # 0.05 * 2**1
        ("one", 3, 200, "delivered", None),
        ("two", 1, 400, "failed", None),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_receiver_down_then_up_nothing_lost(tmp_path: Path) -> None:
    port = _free_port()
    q, log = queue(f"http://127.0.0.1:{port}/hook", tmp_path)
    for i in range(3):
        q.submit(alert(f"rule{i}", ts_ms=1_700_000_000_000 + i))
    assert not q.wait_idle(1.0)  # nobody listening: still queued
    down = log.entries()
    assert len(down) >= 3 and all(e["status"] is None and e["result"] == "retry" for e in down)
    assert all("ConnectError" in e["error"] for e in down)
    assert q.pending() == 3
    r = receiver()
    server = ThreadingHTTPServer(("127.0.0.1", port), r)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        assert q.wait_idle(10)
    finally:
        q.close()
        server.shutdown()
        server.server_close()
        t.join(5)
    rules = []
    for _, body in r.got:
        sent = json.loads(body)
        rules += [sent["rule"], *(m["rule"] for m in sent.get("more", []))]
    assert sorted(rules) == ["rule0", "rule1", "rule2"]  # each once, none lost
    assert log.entries()[-1]["result"] == "delivered" and q.pending() == 0


def test_alerts_within_the_quiet_time_are_one_message(tmp_path: Path) -> None:
    r = receiver()
    with LocalHTTPServer(r) as srv:
        q, _ = queue(srv.url, tmp_path, coalesce_s=1.0)
        q.submit(alert("first"))
        assert q.wait_idle(10)
        for i in range(5):  # a burst: held, then sent together a second after the first
            q.submit(alert(f"burst{i}", "critical" if i == 2 else "warning", ts_ms=10 + i))
        assert q.wait_idle(10)
        q.close()
    assert len(r.got) == 2
    second = json.loads(r.got[1][1])
    assert second["rule"] == "burst2"  # the most severe heads the message
    assert [m["rule"] for m in second["more"]] == ["burst4", "burst3", "burst1", "burst0"]


def test_routes_by_severity_and_rule(tmp_path: Path) -> None:
    r = receiver()
    with LocalHTTPServer(r) as srv:
        q, _ = queue(srv.url, tmp_path, route=Route(frozenset({"critical"}), frozenset({"a"})))
        q.submit(alert("a", "warning"))  # severity not routed
        q.submit(alert("b", "critical"))  # rule not routed
        q.submit(alert("a", "critical"))
        assert q.wait_idle(10)
        q.close()
    assert [(json.loads(b)["rule"], json.loads(b)["severity"]) for _, b in r.got] == [
        ("a", "critical")
    ]


def _settings(text: str) -> None:
    folder = user_paths()["settings folder"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.toml").write_text(text)


def test_alert_records_from_settings_and_keyring(memory_keyring, tmp_path: Path) -> None:
    memory_keyring.set_password("workstation", "notify:webhook_secret", SECRET)
    r = receiver()
    with LocalHTTPServer(r) as srv:
        _settings(f'[notify]\ncoalesce_s = 0\n[notify.webhook]\nurl = "{srv.url}"\n')
        delivery = start_delivery("2026-12-01.session")
        assert isinstance(delivery, AlertDelivery)
        rec = AlertRecord(1, "skew_fear", "deribit", "BTCUSDT", "active", "warning", {"x": 1.0})
        delivery.on_record(rec)
        delivery.on_record(AlertRecord(2, "skew_fear", "deribit", "BTCUSDT", "cleared", "warning"))
        assert delivery.queue.wait_idle(10)
        delivery.close()
    [(headers, body)] = r.got
    assert verify(headers, body, SECRET)
    assert json.loads(body)["session"] == "2026-12-01.session"
    assert json.loads(body)["ts_ms"] == 1
    assert (user_paths()["delivery log"]).is_file()


class Stuck:
    """A channel whose receiver never answers until ``release`` is set; notes its threads."""

    name = "stuck"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.threads: list[str] = []

    def secrets(self) -> tuple[str, ...]:
        return ()

    def send(self, delivery) -> Outcome:
        self.threads.append(threading.current_thread().name)
        self.release.wait(10)
        return Outcome(status=200)


def test_the_engines_thread_never_waits_on_the_network(tmp_path: Path) -> None:
    ch = Stuck()
    q = DeliveryQueue([(ch, Route())], DeliveryLog(tmp_path / "l.jsonl"), coalesce_s=0)
    delivery = AlertDelivery(q)
    rec = AlertRecord(1, "skew_fear", "deribit", "BTCUSDT", "active", "warning")
    delivery.on_records([rec, rec])  # returns with the receiver stuck
    assert q.pending() == 2 and not q.wait_idle(0.2)
    ch.release.set()
    assert q.wait_idle(10) and q.pending() == 0
    q.close()
    assert threading.current_thread().name not in ch.threads
    assert set(ch.threads) == {"notify-stuck"}


def test_bad_notify_settings_are_one_line(memory_keyring, capsys) -> None:
    memory_keyring.set_password("workstation", "notify:webhook_secret", SECRET)
    _settings('[notify.webhook]\nurl = "http://127.0.0.1:9/"\nseverities = ["loud"]\n')
    with pytest.raises(SystemExit) as exit_:
        main(["notify", "test", "webhook"])
    assert exit_.value.code == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.endswith("[notify.webhook] severities: a list of info, warning, critical")


def test_no_channel_no_delivery() -> None:
    assert start_delivery() is None


def test_a_secret_file_others_may_read_is_refused(tmp_path: Path, capsys) -> None:
    f = tmp_path / "whsec"
    f.write_text(SECRET + "\n")
    f.chmod(0o644)
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "notify",
                "test",
                "webhook",
                "--webhook-url",
                "http://127.0.0.1:9/",
                "--webhook-secret-file",
                str(f),
            ]
        )
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "mode 0644 lets others read it" in err and SECRET not in err
    f.chmod(0o600)
    assert read_secret_file(f) == Secret(SECRET)


def test_notify_test_and_log_never_show_the_secret(tmp_path: Path, capsys) -> None:
    f = tmp_path / "whsec"
    f.write_text(SECRET)
    f.chmod(0o600)
    r = receiver([(500, {})])
    with LocalHTTPServer(r) as srv:
        argv = ["notify", "test", "webhook", "--webhook-url", srv.url, "--webhook-secret-file"]
        assert main([*argv, str(f)]) == 0
    out = capsys.readouterr()
    assert "attempt 1: retry (HTTP 500)" in out.out and "attempt 2: delivered (HTTP 200)" in out.out
    assert verify(r.got[1][0], r.got[1][1], SECRET)
    assert main(["notify", "log", "--json"]) == 0
    logged = json.loads(capsys.readouterr().out)
    assert [(e["rule"], e["status"]) for e in logged] == [("test", 500), ("test", 200)]
    assert main(["notify", "log"]) == 0
    table = capsys.readouterr()
    everything = out.out + out.err + table.out + table.err
    everything += user_paths()["delivery log"].read_text()
    for s in (SECRET, SECRET.removeprefix("whsec_")):
        assert s not in everything


def test_a_malformed_secret_is_one_line_without_it(tmp_path: Path, capsys) -> None:
    f = tmp_path / "whsec"
    f.write_text("not-a-whsec-secret-value")
    f.chmod(0o600)
    with pytest.raises(SystemExit):
        main(
            [
                "notify",
                "test",
                "webhook",
                "--webhook-url",
                "http://127.0.0.1:9/",
                "--webhook-secret-file",
                str(f),
            ]
        )
    err = capsys.readouterr().err
    assert "whsec_<base64>" in err and "not-a-whsec-secret-value" not in err


def test_notify_secret_set_keeps_it_in_the_keyring(memory_keyring, monkeypatch, capsys) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["notify", "secret", "set", "webhook"]) == 0
    assert memory_keyring.store[("workstation", "notify:webhook_secret")] == SECRET
    assert SECRET not in capsys.readouterr().out
    assert main(["notify", "secret", "delete", "webhook"]) == 0
    assert memory_keyring.store == {}
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))  # not whsec_<base64>: refused
    assert main(["notify", "secret", "set", "webhook"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workstation notify secret set: a webhook secret is written whsec_")
    assert "hunter2" not in err and memory_keyring.store == {}


# --- Telegram ----------------------------------------------------------------------------------
TOKEN = "123456:AAH-fake-bot-token-for-tests"


def test_telegram_send_message_honours_retry_after_of_a_429(tmp_path: Path) -> None:
    too_many = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    r = receiver([(429, {}, too_many)])
    with LocalHTTPServer(r) as srv:
        log = DeliveryLog(tmp_path / "log.jsonl")
        ch = TelegramChannel("-10042", Secret(TOKEN), base_url=srv.url + "/")
        q = DeliveryQueue([(ch, Route())], log, coalesce_s=0, backoff=FAST)
        q.submit(alert())
        assert q.wait_idle(10)
        q.close()
    assert r.paths == [f"/bot{TOKEN}/sendMessage"] * 2
    sent = json.loads(r.got[1][1])
    assert sent["chat_id"] == "-10042"
    assert sent["text"].startswith("WARNING skew_fear deribit BTCUSDT: 25d skew 8.1 vol pts > 7")
    first, second = log.entries()
    # the body's retry_after (1 s) wins over the own backoff after one failure (0.05 s)
    assert (first["status"], first["retry_in_s"], second["status"]) == (429, 1.0, 200)


def test_telegram_down_and_the_token_nowhere(memory_keyring, tmp_path: Path, capsys) -> None:
    memory_keyring.set_password("workstation", "notify:telegram_bot_token", TOKEN)
    port = _free_port()
    _settings(f'[notify.telegram]\nchat_id = 42\nbase_url = "http://127.0.0.1:{port}"\n')
    assert main(["notify", "test", "telegram", "--timeout", "1.5"]) == 1
    out = capsys.readouterr()
    assert "attempt 1: retry (ConnectError)" in out.out
    assert out.err.strip() == "workstation notify test: telegram: not delivered within 1.5 s"
    r = receiver()
    with LocalHTTPServer(r) as srv:
        _settings(f'[notify.telegram]\nchat_id = 42\nbase_url = "{srv.url}"\n')
        assert main(["notify", "test", "telegram"]) == 0
    assert json.loads(r.got[0][1])["chat_id"] == "42"
    assert main(["notify", "log", "--json"]) == 0
    everything = "".join(capsys.readouterr()) + out.out + out.err
    everything += user_paths()["delivery log"].read_text()
    everything += (user_paths()["settings folder"] / "settings.toml").read_text()
    assert TOKEN not in everything and "AAH-fake" not in everything


# --- e-mail ------------------------------------------------------------------------------------
class Mailbox:
    """aiosmtpd's handler: answers DATA with the next reply of ``replies`` (then 250), keeps
    what was accepted and whether the session had gone TLS first."""

    def __init__(self, replies: list[str] | None = None) -> None:
        self.replies = replies or []
        self.accepted: list[tuple[str, list[str], bytes, bool, bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.replies:
            return self.replies.pop(0)
        login = session.login_data or b""
        self.accepted.append(
            (
                envelope.mail_from,
                envelope.rcpt_tos,
                envelope.content,
                session.ssl is not None,
                login,
            )
        )
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path: Path):
    """A local SMTP server on 127.0.0.1 that requires STARTTLS, with a certificate of a test CA
    (its PEM in ``ca_file``) and one login, desk / PASSWORD."""
    import ssl

    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    def auth(server, session, envelope, mechanism, data) -> AuthResult:
        ok = data.login == b"desk" and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    box = Mailbox()
    ctl = Controller(
        box,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=ctx,
        require_starttls=True,
        authenticator=auth,
        auth_require_tls=True,
    )
    ctl.start()
    try:
        yield box, ctl.port, str(ca_file)
    finally:
        ctl.stop()


PASSWORD = "smtp-pass-not-for-logs-31337"


def _email_settings(port: int, ca_file: str | None) -> None:
    _settings(
        f'[notify.email]\nhost = "127.0.0.1"\nport = {port}\nusername = "desk"\n'
        'from = "ws@desk.test"\nto = ["trader@desk.test"]\nseverities = ["critical"]\n'
        + (f'ca_file = "{ca_file}"\n' if ca_file else "")
    )


def test_email_over_starttls_with_login(smtp_server, memory_keyring, capsys) -> None:
    box, port, ca_file = smtp_server
    memory_keyring.set_password("workstation", "notify:smtp_password", PASSWORD)
    _email_settings(port, ca_file)
    box.replies.append("451 4.3.0 try again later")  # the first DATA: a transient refusal
    delivery = start_delivery("s.session")
    assert delivery is not None
    delivery.queue.backoff = FAST
    delivery.on_record(
        AlertRecord(5, "liq_cascade", "binance", "BTCUSDT", "active", "critical", {}, "cascade")
    )
    delivery.on_record(AlertRecord(6, "skew_fear", "deribit", "BTCUSDT", "active", "warning"))
    assert delivery.queue.wait_idle(10)
    delivery.close()
    [(sender, rcpt, content, tls, _)] = box.accepted  # the warning is not routed to e-mail
    assert (sender, rcpt, tls) == ("ws@desk.test", ["trader@desk.test"], True)
    assert b"Subject: workstation CRITICAL liq_cascade BTCUSDT" in content
    assert b"CRITICAL liq_cascade binance BTCUSDT: cascade" in content
    got = [(e["channel"], e["status"], e["result"]) for e in json.loads(_log_json(capsys))]
    assert got == [("email", 451, "retry"), ("email", 250, "delivered")]
    assert PASSWORD not in user_paths()["delivery log"].read_text()


def _log_json(capsys) -> str:
    capsys.readouterr()
    assert main(["notify", "log", "--json"]) == 0
    return capsys.readouterr().out


def test_email_wrong_password_is_not_retried_and_not_shown(smtp_server, memory_keyring, capsys):
    box, port, ca_file = smtp_server
    wrong = "wrong-password-also-secret-4242"
    memory_keyring.set_password("workstation", "notify:smtp_password", wrong)
    _email_settings(port, ca_file)
    assert main(["notify", "test", "email"]) == 1
    out = capsys.readouterr()
    assert "attempt 1: failed (SMTP 535)" in out.out and box.accepted == []
    log = user_paths()["delivery log"].read_text()
    assert wrong not in out.out + out.err + log


def test_email_refuses_a_certificate_it_cannot_verify(smtp_server, memory_keyring, capsys) -> None:
    box, port, _ = smtp_server
    memory_keyring.set_password("workstation", "notify:smtp_password", PASSWORD)
    _email_settings(port, None)  # the system's CAs, which never signed the test CA's certificate
    assert main(["notify", "test", "email"]) == 1
    [entry] = json.loads(_log_json(capsys))  # not retried: it would fail the same way
    assert entry["result"] == "failed" and "CERTIFICATE_VERIFY_FAILED" in entry["error"]
    assert box.accepted == []
