"""How catalogue numbers are written out, the same in the API and on the pages."""

from __future__ import annotations

from decimal import Decimal


def decimal_str(value: Decimal | None, *, min_places: int = 2) -> str | None:
    """Write a decimal with at least ``min_places`` decimals and no trailing zeros beyond them.

    ``35.000000`` → ``"35.00"``, ``12.345600`` → ``"12.3456"``, ``0.1300`` → ``"0.13"``; prices are
    stored with 6 decimals, so at most 6 are ever written. ``None`` stays ``None``.
    """
    if value is None:
        return None
    text = format(value, "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if len(frac) < min_places:
        frac = frac.ljust(min_places, "0")
    return f"{whole}.{frac}" if frac else whole
