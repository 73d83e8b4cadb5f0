"""The sizing calculator: equity, risk %, entry and stop in; size, leverage (the ladder's maximum
by default), liquidation price, the 2-sigma and 10% checks and the three numbers to write out.
It recomputes as the trader types; a refused size says why and what the largest passing size is.
GUI thread only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workstation.risk.brackets import VENUES, BracketError
from workstation.risk.positions import Position, PositionError, parse_number
from workstation.risk.sizing import SizingRequest, SizingResult, size_position

_NUMBERS = (
    ("equity_usd", "Equity (USD)", "e.g. 250000"),
    ("risk_pct", "Risk (% of equity)", "e.g. 1"),
    ("entry_usd", "Entry (USD)", "e.g. 66800"),
    ("stop_usd", "Stop (USD)", "a price, or leave empty and give sigmas"),
    ("stop_sigmas", "Stop (sigmas)", "e.g. 2 (used when no stop price)"),
    ("leverage", "Leverage (x)", "default: the ladder's maximum now"),
    ("horizon_h", "Horizon (hours)", "24"),
)
_LABELS = {name: label for name, label, _hint in _NUMBERS}
_CHECK_NAMES = {
    "ladder": "leverage within the ladder",
    "bracket": "leverage within the venue's bracket",
    "margin": "margin within equity",
    "stop_before_liquidation": "stop before liquidation",
    "buffer_2sigma": "2-sigma buffer",
    "adverse_10pct": "10% adverse move",
}


class SizingDialog(QDialog):
    """``ladder_max_leverage`` (x) and ``rv_annual_pct`` are the engine's values now (None:
    stale); ``ladders``: the ladder's maximum per side of a new trade where they differ (the
    side chosen in the form picks it); ``book``: the open positions, whose margin and exposure
    count against the equity; ``funding_rate_8h``: the current rate (fraction per 8h)."""

    def __init__(
        self,
        parent: QWidget | None,
        symbol: str,
        ladder_max_leverage: float | None,
        rv_annual_pct: float | None,
        mark_usd: float | None = None,
        ladders: Mapping[str, float | None] | None = None,
        book: tuple[Position, ...] = (),
        funding_rate_8h: float | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Size a {symbol} trade")
        self.symbol, self.rv = symbol, rv_annual_pct
        self.ladders = dict(ladders or dict.fromkeys(("long", "short"), ladder_max_leverage))
        self.book, self.funding_rate_8h = book, funding_rate_8h
        self.result: SizingResult | None = None
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setMinimumWidth(520)
        self.save = QPushButton("Save to the book…")
        self.save.setEnabled(False)
        self.save_why = QLabel()  # why the button is off, beside it
        self.save_why.setStyleSheet("color:#7f8c8d;")
        form = QFormLayout()
        self.side = QComboBox()
        self.side.addItems(["long", "short"])
        self.venue = QComboBox()
        self.venue.addItems(list(VENUES))
        form.addRow("Side", self.side)
        form.addRow("Venue", self.venue)
        self.inputs: dict[str, QLineEdit] = {}
        for name, label, hint in _NUMBERS:
            edit = QLineEdit()
            edit.setPlaceholderText(hint)
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance(hint) + 24)
            edit.setObjectName(name)
            self.inputs[name] = edit
            form.addRow(label, edit)
            edit.textChanged.connect(self.recompute)
        if mark_usd is not None:
            self.inputs["entry_usd"].setText(f"{mark_usd:.2f}")
        self.inputs["horizon_h"].setText("24")
        self.side.currentTextChanged.connect(self.recompute)
        self.venue.currentTextChanged.connect(self.recompute)

        def lev(x: float | None) -> str:
            return "unknown (stale)" if x is None else f"{x:g}x"

        open_note = f"   |   {len(book)} open position(s) count" if book else ""
        market = (
            f"Ladder now: long {lev(self.ladders.get('long'))}, short "
            f"{lev(self.ladders.get('short'))}   |   realized vol: "
            f"{'unknown (stale)' if rv_annual_pct is None else f'{rv_annual_pct:.0f}%/yr'}"
            + open_note
        )
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_why, stretch=1)
        buttons.addWidget(self.save)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(market))
        layout.addLayout(form)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.recompute()

    def set_inputs(self, **values: Any) -> None:
        """Fill fields by name (``side`` and ``venue`` too); recomputes."""
        for name, value in values.items():
            if name in ("side", "venue"):
                getattr(self, name).setCurrentText(str(value))
            else:
                self.inputs[name].setText(str(value))

    def request(self) -> SizingRequest:
        v = {
            name: parse_number(
                name,
                edit.text(),
                optional=name in ("stop_usd", "stop_sigmas", "leverage", "horizon_h"),
            )
            for name, edit in self.inputs.items()
        }
        return SizingRequest(
            equity_usd=v["equity_usd"],
            risk_pct=v["risk_pct"],
            side=self.side.currentText(),
            entry_usd=v["entry_usd"],
            stop_usd=v["stop_usd"],
            stop_sigmas=v["stop_sigmas"],
            venue=self.venue.currentText(),
            symbol=self.symbol,
            leverage=v["leverage"],
            ladder_max_leverage=self.ladders.get(self.side.currentText()),
            rv_annual_pct=self.rv,
            horizon_h=v["horizon_h"] or 24.0,
            book=self.book,
            funding_rate_8h=self.funding_rate_8h,
        )

    def recompute(self) -> None:
        for edit in self.inputs.values():
            edit.setStyleSheet("")
        try:
            self.result = size_position(self.request())
        except PositionError as exc:
            self.result = None
            missing = exc.problem.startswith("is required")
            if exc.field in self.inputs and not missing:
                self.inputs[exc.field].setStyleSheet("border:2px solid #c0392b;")
            colour = "#7f8c8d" if missing else "#c0392b"
            label = _LABELS.get(exc.field, exc.field)
            self.outcome.setText(
                f"<span style='color:{colour}'><b>{label}</b> {exc.problem}</span>"
            )
        except BracketError as exc:
            self.result = None
            self.outcome.setText(f"<span style='color:#c0392b'>{exc}</span>")
        else:
            self.outcome.setText(describe(self.result, self.symbol))
        accepted = self.result is not None and self.result.accepted
        why = (
            ""
            if accepted
            else "Fill in the fields above to size the trade."
            if self.result is None
            else "A refused trade is not saved: change it until ACCEPTED."
        )
        self.save.setEnabled(accepted)
        self.save.setToolTip(why)
        self.save_why.setText(why)

    def position_fields(self) -> dict[str, Any]:
        """The accepted size as the position dialog's fields (journal pre-filled)."""
        r = self.result
        assert r is not None
        return {
            "venue": self.venue.currentText(),
            "symbol": self.symbol,
            "side": self.side.currentText(),
            "qty": round(r.qty, 6),
            "entry_usd": self.inputs["entry_usd"].text(),
            "leverage": r.leverage,
            "max_drawdown_pct": r.journal.max_drawdown_pct,
            "max_leverage": r.journal.max_leverage,
            "reduce_price_usd": r.journal.reduce_price_usd,
        }


def describe(r: SizingResult, symbol: str) -> str:
    """The result as rich text: the verdict, the size, each check, the three numbers."""
    head = (
        "<b style='color:#1e8449'>ACCEPTED</b>"
        if r.accepted
        else "<b style='color:#c0392b'>REFUSED</b>"
    )
    liq = (
        "none"
        if r.liquidation_price is None
        else f"{r.liquidation_price:,.2f} ({r.liq_distance_pct:.1f}% away)"
    )
    lines = [
        f"{head}: {r.qty:,.4f} {r.coin} ({symbol}) at {r.leverage:g}x — notional "
        f"{r.notional_usd:,.0f} USD, "
        f"margin {r.margin_usd:,.0f} USD, {r.risk_usd:,.0f} USD at risk to the stop {r.stop_usd:,.2f}",
        f"Liquidation: {liq}",
        "Funding to the horizon: unknown"
        if r.funding_cost_usd is None
        else f"Funding to the horizon: {'pays' if r.funding_cost_usd >= 0 else 'receives'} "
        f"{abs(r.funding_cost_usd):,.2f} USD at {r.funding_rate_8h * 100:+.4f}% per 8h",
    ]
    if r.book.positions:
        lines.append(
            f"The book: {r.book.positions} open, margin {r.book.margin_usd:,.0f} USD used, "
            f"exposure {r.book.exposure_usd:,.0f} USD; with this trade {r.account_leverage:.2f}x "
            "equity"
        )
    for name, ok in r.checks.items():
        mark, colour = (
            ("unknown", "#7f8c8d")
            if ok is None
            else (("pass", "#1e8449") if ok else ("FAIL", "#c0392b"))
        )
        lines.append(f"{_CHECK_NAMES[name]}: <span style='color:{colour}'><b>{mark}</b></span>")
    lines += [f"<span style='color:#c0392b'>{why}</span>" for why in r.refusals]
    lines += [f"<span style='color:#d68910'>{w}</span>" for w in r.warnings]
    lines += list(r.notes)
    j = r.journal
    margin_pct = "" if j.max_drawdown_pct is None else f" ({j.max_drawdown_pct:g}% of margin)"
    lines.append(
        "<b>Write before the trade:</b> 1. max drawdown "
        f"{r.max_drawdown_pct_of_equity:.2f}% of equity{margin_pct}; "
        f"2. max leverage {j.max_leverage:g}x; 3. reduce size at {j.reduce_price_usd:,.2f} "
        "if funding or OI worsen"
    )
    return "<br>".join(lines)
