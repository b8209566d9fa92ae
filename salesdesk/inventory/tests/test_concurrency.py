"""Two orders can never promise the same unit: real threads against PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from salesdesk.inventory import services
from salesdesk.inventory.errors import InsufficientStock
from salesdesk.inventory.models import StockLevel, StockMove
from salesdesk.inventory.selectors import ledger_balance

from .factories import make_product, make_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_twenty_threads_never_reserve_more_than_on_hand(admin_user: Any) -> None:
    product = make_product(sku="CC-1")
    warehouse = make_warehouse(code="CC")
    services.receive_stock(by=admin_user, warehouse=warehouse, lines=[(product, "30")])
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait()
            services.reserve_stock(
                product=product, warehouse=warehouse, qty="3", reference=f"XSDD-{index:02d}"
            )
            result = "ok"
        except InsufficientStock:
            result = "short"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] * 10 + ["short"] * 10
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand_qty, level.reserved_qty) == (Decimal(30), Decimal(30))
    balance = ledger_balance(product=product, warehouse=warehouse)
    assert (balance.on_hand, balance.reserved) == (Decimal(30), Decimal(30))
    assert StockMove.objects.filter(kind="reserve").count() == 10
    reserved_after = sorted(StockMove.objects.filter(kind="reserve").values_list("reserved_after", flat=True))
    assert reserved_after == [Decimal(3 * n) for n in range(1, 11)]
