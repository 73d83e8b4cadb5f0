"""`workstation notify`: the delivery log, a test message down one channel, and the channels'
secrets in the keyring. Bad settings exit 2 in one line; a failed test delivery exits 1."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from workstation.cli.validators import non_negative_int, positive_float
from workstation.core.timefmt import fmt_utc


def _got(entry: dict) -> str:
    """What an attempt got: the reply code (SMTP's for e-mail, else HTTP's) or the error."""
    if entry.get("status") is None:
        return entry.get("error") or ""
    return f"{'SMTP' if entry['channel'] == 'email' else 'HTTP'} {entry['status']}"


def cmd_log(args: argparse.Namespace) -> int:
    from workstation.app.notify import delivery_log

    entries = delivery_log().entries()[-args.last :] if args.last else delivery_log().entries()
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    if not entries:
        print(f"no deliveries yet ({delivery_log().path})")
    for e in entries:
        wait = f", again in {e['retry_in_s']:g} s" if e.get("retry_in_s") is not None else ""
        print(
            f"{fmt_utc(e['ts_ms'])}  {e['channel']:<8} {e['rule']:<22} attempt {e['attempt']}  "
            f"{e['result']:<9} {_got(e)}{wait}"
        )
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from workstation.app.notify import (
        build_channels,
        delivery_log,
        notify_settings,
        sample_alert,
    )
    from workstation.notify.delivery import Backoff, DeliveryQueue

    routes = build_channels(
        notify_settings(),
        only=args.channel,
        webhook_url=args.webhook_url,
        webhook_secret_file=args.webhook_secret_file,
    )
    log = delivery_log()
    before = len(log.entries())
    queue = DeliveryQueue(routes, log, coalesce_s=0, backoff=Backoff(base_s=1.0, max_s=5.0))
    queue.submit(sample_alert(), force=True)
    done = queue.wait_idle(args.timeout)
    queue.close(timeout_s=1.0)
    attempts = log.entries()[before:]
    for e in attempts:
        print(f"{args.channel}: attempt {e['attempt']}: {e['result']} ({_got(e)})")
    if done and attempts and attempts[-1]["result"] == "delivered":
        return 0
    print(
        f"workstation notify test: {args.channel}: not delivered"
        + ("" if done else f" within {args.timeout:g} s"),
        file=sys.stderr,
    )
    return 1


def cmd_secret(args: argparse.Namespace) -> int:
    from workstation.account.secrets import KeyringUnavailable, Secret, delete_secret, store_secret
    from workstation.app.notify import SECRET_NAMES, SECRET_WHAT
    from workstation.notify.webhook import secret_key

    name = SECRET_NAMES[args.channel]
    try:
        if args.action == "set":
            prompt = f"{SECRET_WHAT[args.channel]}: "
            value = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
            try:
                if args.channel == "webhook":
                    secret_key(Secret(value))  # whsec_<base64>, checked before it is kept
                store_secret(name, value)
            except ValueError as exc:
                print(f"workstation notify secret set: {exc}", file=sys.stderr)
                return 1
            print(f"stored the {SECRET_WHAT[args.channel]} in the system keyring")
        else:
            gone = delete_secret(name)
            print(f"{args.channel}: " + ("secret deleted" if gone else "there was no secret"))
    except KeyringUnavailable as exc:
        print(f"workstation: {exc}", file=sys.stderr)
        return 1
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `notify log|test|secret` on the CLI's subparsers."""
    from workstation.app.notify import CHANNELS

    nt = sub.add_parser("notify", help="alert delivery: the delivery log, a test message, secrets")
    actions = nt.add_subparsers(dest="action", required=True, metavar="ACTION")
    lg = actions.add_parser(
        "log", help="every delivery attempt, oldest first", description="the delivery log"
    )
    lg.add_argument("--json", action="store_true", help="machine-readable output")
    lg.add_argument(
        "--last",
        type=non_negative_int("--last"),
        default=0,
        help="only the last N attempts (default 0: all)",
    )
    lg.set_defaults(func=cmd_log)
    ts = actions.add_parser(
        "test", help="send a test message down one channel", description="send a test message"
    )
    ts.add_argument("channel", choices=CHANNELS, help="the channel, as set up in settings.toml")
    ts.add_argument("--webhook-url", default=None, help="POST here instead of [notify.webhook] url")
    ts.add_argument(
        "--webhook-secret-file",
        default=None,
        help="the whsec_ secret from this file (mode 0600 or stricter) instead of the keyring",
    )
    ts.add_argument(
        "--timeout",
        type=positive_float("--timeout"),
        default=30.0,
        help="seconds to keep retrying before giving up (default 30)",
    )
    ts.set_defaults(func=cmd_test)
    sc = actions.add_parser("secret", help="a channel's secret in the OS keyring")
    sc_actions = sc.add_subparsers(dest="secret_action", required=True, metavar="ACTION")
    for name, what in (
        ("set", "store the secret (asked for, or one line on standard input)"),
        ("delete", "remove the stored secret"),
    ):
        a = sc_actions.add_parser(name, help=what, description=what)
        a.add_argument("channel", choices=CHANNELS, help="the channel whose secret it is")
        a.set_defaults(func=cmd_secret, action=name)
