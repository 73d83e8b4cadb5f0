"""What every venue parser shares: the error for an undocumented payload, and reading a number
that venues send as a string. Pure; any thread."""

from __future__ import annotations

from typing import Any


class PayloadError(ValueError):
    """A payload that does not have the documented shape (the feed logs it and drops it)."""


def num(d: dict[str, Any], key: str) -> float:
    """``d[key]`` as a float (venues send numbers as strings); PayloadError naming the field."""
    try:
        return float(d[key])
    except (KeyError, TypeError, ValueError):
        raise PayloadError(f"field {key!r} missing or not a number") from None
