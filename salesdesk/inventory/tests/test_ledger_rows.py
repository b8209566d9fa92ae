"""Ledger rows go in through ``compiled.insert``, which hands decimals to the driver as they are: the
rows must be those ``bulk_create`` writes, and what the field refuses stays refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from salesdesk.core.compiled import insert
from salesdesk.inventory.models import StockMove

from .factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def _moves(tag: str, product, warehouse) -> list[StockMove]:
    return [
        StockMove(
            product=product,
            warehouse=warehouse,
            kind=StockMove.Kind.RESERVE,
            qty=qty,
            on_hand_after=Decimal("100.000"),
            reserved_after=reserved,
            reference=f"{tag}-{i}",
        )
        for i, (qty, reserved) in enumerate(
            [
                (Decimal("2.500"), Decimal("2.5")),
                (Decimal("0.001"), Decimal("12")),
                (Decimal("7"), Decimal("0")),
            ]
        )
    ]


def _read(moves: list[StockMove]) -> list[tuple[str, str, str, str]]:
    rows = StockMove.objects.filter(pk__in=[m.pk for m in moves]).order_by("id")
    return [(r.reference[2:], str(r.qty), str(r.on_hand_after), str(r.reserved_after)) for r in rows]


def test_decimals_are_written_as_bulk_create_writes_them():
    product, warehouse = make_product(sku="LR-1"), make_warehouse(code="LR")
    mine, theirs = _moves("m", product, warehouse), _moves("t", product, warehouse)
    insert(mine)
    StockMove.objects.bulk_create(theirs)
    assert _read(mine) == _read(theirs)
    assert _read(mine) == [
        ("0", "2.500000", "100.000000", "2.500000"),
        ("1", "0.001000", "100.000000", "12.000000"),
        ("2", "7.000000", "100.000000", "0.000000"),
    ]


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_a_decimal_that_is_not_a_number_is_refused_as_the_field_refuses_it(bad):
    product, warehouse = make_product(sku="LR-2"), make_warehouse(code="LR")
    moves = _moves("x", product, warehouse)
    moves[1].qty = bad
    with pytest.raises(ValidationError), transaction.atomic():
        insert(moves)
    with pytest.raises(ValidationError), transaction.atomic():
        StockMove.objects.bulk_create([*_moves("y", product, warehouse)[:1], moves[1]])
    assert StockMove.objects.count() == 0
