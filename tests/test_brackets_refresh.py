"""Refreshing bracket tables from a venue (a local server speaking the venues' formats)."""

from __future__ import annotations

import pytest
from json_server import JsonServer

from workstation.cli import main
from workstation.core.resources import shipped_brackets
from workstation.risk.brackets import from_binance, load_table

BYBIT = {
    "retCode": 0,
    "result": {
        "category": "linear",
        "list": [
            {
                "id": 1,
                "symbol": "BTCUSDT",
                "riskLimitValue": "2000000",
                "maintenanceMargin": "0.005",
                "initialMargin": "0.01",
                "isLowestRisk": 1,
                "maxLeverage": "100.00",
                "mmDeduction": "",
            },
            {
                "id": 2,
                "symbol": "BTCUSDT",
                "riskLimitValue": "2600000",
                "maintenanceMargin": "0.0056",
                "initialMargin": "0.0116",
                "isLowestRisk": 0,
                "maxLeverage": "86.20",
                "mmDeduction": "1200",
            },
            {
                "id": 3,
                "symbol": "BTCUSDT",
                "riskLimitValue": "3200000",
                "maintenanceMargin": "0.0062",
                "initialMargin": "0.0132",
                "isLowestRisk": 0,
                "maxLeverage": "75.75",
                "mmDeduction": "",
            },
        ],
    },
}


def test_bybit_refresh_writes_the_users_table(capsys) -> None:
    with JsonServer({"/v5/market/risk-limit": BYBIT}) as srv:
        assert main(["brackets", "refresh", "--venue", "bybit", "--url", srv.url]) == 0
    assert "category=linear" in srv.queries[0] and "symbol=BTCUSDT" in srv.queries[0]
    t = load_table("bybit", "BTCUSDT")
    assert "xdg" in t.source and str(shipped_brackets("bybit")) not in t.source  # the user's now
    assert [(b.cap, b.mmr) for b in t.brackets] == [
        (2e6, 0.005),
        (2.6e6, 0.0056),
        (3.2e6, 0.0062),
    ]
    # tier 2's deduction as published (2,000,000 x 0.06% = 1,200); tier 3 derived by continuity
    assert t.brackets[1].maint_amount_usd == 1200.0
    assert t.brackets[2].maint_amount_usd == pytest.approx(1200 + 2.6e6 * 0.0006)
    assert all(b.verified for b in t.brackets)
    assert load_table("bybit", "ETHUSDT").brackets[0].verified is False  # untouched: shipped
    out = capsys.readouterr().out
    assert "3 brackets written" in out


def test_okx_refresh_keeps_tiers_in_contracts_without_deductions() -> None:
    routes = {
        "/api/v5/public/instruments": {
            "code": "0",
            "data": [{"instId": "BTC-USDT-SWAP", "ctVal": "0.01"}],
        },
        "/api/v5/public/mark-price": {
            "code": "0",
            "data": [{"instId": "BTC-USDT-SWAP", "markPx": "60000"}],
        },
        "/api/v5/public/position-tiers": {
            "code": "0",
            "data": [
                {
                    "tier": "1",
                    "minSz": "0",
                    "maxSz": "1000",
                    "mmr": "0.004",
                    "imr": "0.01",
                    "maxLever": "100",
                },
                {
                    "tier": "2",
                    "minSz": "1001",
                    "maxSz": "5000",
                    "mmr": "0.006",
                    "imr": "0.0133",
                    "maxLever": "75",
                },
            ],
        },
    }
    with JsonServer(routes) as srv:
        assert main(["brackets", "refresh", "--venue", "okx", "--url", srv.url]) == 0
    t = load_table("okx", "BTCUSDT")
    # OKX sizes tiers in contracts (0.01 BTC each): the caps stay 1,000 and 5,000 contracts
    # whatever the price, and OKX publishes no deduction (none is invented).
    assert t.size_unit == "contracts" and t.contract_value_coin == 0.01
    assert [(b.floor, b.cap, b.mmr) for b in t.brackets] == [(0, 1000, 0.004), (1000, 5000, 0.006)]
    assert [b.maint_amount_usd for b in t.brackets] == [0.0, 0.0]
    # 15 BTC = 1,500 contracts: tier 2 at any price (at 60,000 and at 30,000 alike)
    assert t.for_position(15.0, 60_000).mmr == t.for_position(15.0, 30_000).mmr == 0.006


def test_a_failed_refresh_changes_nothing(capsys) -> None:
    with JsonServer({}) as srv:
        assert main(["brackets", "refresh", "--venue", "bybit", "--url", srv.url]) == 1
    assert "brackets refresh" in capsys.readouterr().err
    assert load_table("bybit", "BTCUSDT").source.startswith(f"{shipped_brackets('bybit')} (")


def test_binance_bracket_response_is_parsed() -> None:
    payload = [
        {"symbol": "ETHUSDT", "brackets": []},
        {
            "symbol": "BTCUSDT",
            "brackets": [
                {
                    "bracket": 2,
                    "initialLeverage": 100,
                    "notionalCap": 600000,
                    "notionalFloor": 50000,
                    "maintMarginRatio": 0.005,
                    "cum": 50.0,
                },
                {
                    "bracket": 1,
                    "initialLeverage": 125,
                    "notionalCap": 50000,
                    "notionalFloor": 0,
                    "maintMarginRatio": 0.004,
                    "cum": 0.0,
                },
            ],
        },
    ]
    rows = from_binance(payload, "BTCUSDT")
    assert [(r["floor_usd"], r["mmr"], r["maint_amount_usd"], r["max_leverage"]) for r in rows] == [
        (0.0, 0.004, 0.0, 125.0),
        (50000.0, 0.005, 50.0, 100.0),
    ]


def test_show(capsys) -> None:
    assert main(["brackets", "show", "--venue", "binance", "--symbol", "ethusdt"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("binance ETHUSDT:") and "MMR  0.400%" in out
