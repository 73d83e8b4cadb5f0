"""Read-only Binance account sync against a local fake that checks signatures; keys only in the
keyring; the secret never leaks."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import keyring
import pytest
from fake_binance import FakeBinance

from workstation.account.binance import AccountError, BinanceAccount, sign
from workstation.account.secrets import ApiKeys, KeyringUnavailable, Secret, load_keys, store_keys
from workstation.cli import main

KEY, SECRET = (
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
)


def test_signature_matches_binances_documented_example() -> None:
    # Binance's SIGNED endpoint example (the API docs' HMAC walk-through)
    query = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    assert sign(SECRET, query) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_sync_against_the_fake_with_a_drifting_clock() -> None:
    keys = ApiKeys(KEY, Secret(SECRET))
    with (
        FakeBinance(KEY, SECRET, clock_offset_ms=30_000) as fake,
        BinanceAccount(keys, fake.url) as acct,
    ):
        positions = acct.positions()  # first try: our clock is 30 s behind -> -1021, resync, retry
        assert abs(acct.offset_ms - 30_000) < 1_000
        assert fake.requests[:3] == [
            "/fapi/v2/positionRisk",
            "/fapi/v1/time",
            "/fapi/v2/positionRisk",
        ]
        balances = acct.balances()
    assert [(p.symbol, p.side, p.qty, p.margin_mode) for p in positions] == [
        ("BTCUSDT", "long", 0.5, "isolated"),
        ("ETHUSDT", "short", 4.0, "cross"),
    ]
    assert positions[0].liquidation_price == 56280.41 and positions[1].liquidation_price is None
    assert [(b.asset, b.wallet, b.cross_wallet) for b in balances] == [("USDT", 25000.5, 18500.5)]


def test_wrong_secret_is_refused_and_nothing_leaks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keys = ApiKeys(KEY, Secret("not-the-secret"))
    with (
        FakeBinance(KEY, SECRET) as fake,
        BinanceAccount(keys, fake.url) as acct,
        pytest.raises(AccountError) as info,
    ):
        acct.positions()
    assert "-1022" in str(info.value)
    for text in (
        str(info.value),
        repr(acct),
        repr(keys),
        f"{keys.secret}",
        str(keys.secret),
        caplog.text,
    ):
        assert "not-the-secret" not in text and SECRET not in text
    assert KEY not in repr(keys) and repr(keys).endswith("secret=Secret('***'))")
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(keys.secret)


def test_unreachable_venue_is_one_clear_error() -> None:
    keys = ApiKeys(KEY, Secret(SECRET))
    with (
        BinanceAccount(keys, "http://127.0.0.1:9", timeout_s=2) as acct,
        pytest.raises(AccountError, match="binance /fapi/v1/time"),
    ):
        acct.sync_time()


def test_keys_live_only_in_the_keyring(memory_keyring, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{KEY}\n{SECRET}\n"))
    assert main(["keys", "set", "binance"]) == 0
    out = capsys.readouterr().out
    assert "...Eh8A" in out and SECRET not in out and KEY not in out
    assert memory_keyring.store[("workstation", "binance:api_secret")] == SECRET
    assert load_keys("binance").secret == Secret(SECRET)
    assert main(["keys", "status"]) == 0
    assert "API key ...Eh8A and secret in the keyring" in capsys.readouterr().out
    # nothing was written to the settings or data folders
    import os

    for root in (os.environ["XDG_CONFIG_HOME"], os.environ["XDG_DATA_HOME"]):
        for path in Path(root).rglob("*") if Path(root).exists() else []:
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes()
    assert main(["keys", "delete", "binance"]) == 0
    assert "keys deleted" in capsys.readouterr().out
    assert load_keys("binance") is None


def test_account_sync_command(memory_keyring, tmp_path: Path, capsys) -> None:
    store_keys("binance", KEY, SECRET)
    with FakeBinance(KEY, SECRET) as fake:
        assert (
            main(
                [
                    "account",
                    "sync",
                    "--binance-url",
                    fake.url,
                    "--import",
                    "--book",
                    str(tmp_path / "b.db"),
                ]
            )
            == 0
        )
    out = capsys.readouterr().out
    assert "USDT: wallet 25,000.50" in out and "BTCUSDT" in out and "liq 56,280.41 (venue)" in out
    assert SECRET not in out
    # the workstation's own isolated liquidation price for the same position, beside the venue's
    import re

    ours = float(re.search(r"/ ([\d,\.]+) \(workstation\)", out).group(1).replace(",", ""))
    margin = 6500.0
    assert ours == pytest.approx((margin + 0 - 0.5 * 70_000) / (0.5 * 0.004 - 0.5), abs=0.01)
    from workstation.risk.positions import PositionBook

    with PositionBook(tmp_path / "b.db") as book:
        assert [(p.symbol, p.side, p.margin_mode) for p in book.open_positions()] == [
            ("BTCUSDT", "long", "isolated"),
            ("ETHUSDT", "short", "cross"),
        ]


def test_no_keyring_is_said_plainly(monkeypatch, capsys) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    before = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        with pytest.raises(KeyringUnavailable, match="no system keyring"):
            load_keys("binance")
        assert main(["keys", "status"]) == 1
        assert "never in a file" in capsys.readouterr().err
    finally:
        keyring.set_keyring(before)
