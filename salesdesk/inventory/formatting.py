"""How quantities are written out, the same in the API and on the pages."""

from __future__ import annotations

from decimal import Decimal


def qty_str(value: Decimal, places: int = 0) -> str:
    """A quantity with exactly the unit's decimals: ``30.000000`` → ``"30"``, kg (3) → ``"1.500"``.

    Never fewer digits than the value holds, so a value stored with more precision is not hidden.
    """
    exponent = value.normalize().as_tuple().exponent
    shown = max(places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return format(value.quantize(Decimal(1).scaleb(-shown)), "f")
