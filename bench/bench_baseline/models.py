"""Unmanaged models over the benchmark's tables: the baseline orders and lines (created by
bench/order_entry.py) and the application's product and stock-level tables (only the columns used)."""

from __future__ import annotations

from django.db import models


class Product(models.Model):
    list_price = models.DecimalField(max_digits=20, decimal_places=6)

    class Meta:
        managed = False
        db_table = "catalog_product"

    def __str__(self) -> str:
        return f"product {self.pk}"


class StockLevel(models.Model):
    product_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField()
    on_hand_qty = models.DecimalField(max_digits=18, decimal_places=6)
    reserved_qty = models.DecimalField(max_digits=18, decimal_places=6)

    class Meta:
        managed = False
        db_table = "inventory_stocklevel"

    def __str__(self) -> str:
        return f"stock {self.product_id}@{self.warehouse_id}"


class Order(models.Model):
    customer_id = models.BigIntegerField()
    total_amount = models.DecimalField(max_digits=18, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "bench_baseline_order"

    def __str__(self) -> str:
        return f"order {self.pk}"


class Line(models.Model):
    order = models.ForeignKey(Order, on_delete=models.DO_NOTHING, related_name="lines")
    line_no = models.SmallIntegerField()
    product_id = models.BigIntegerField()
    qty = models.DecimalField(max_digits=18, decimal_places=6)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6)
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        managed = False
        db_table = "bench_baseline_line"

    def __str__(self) -> str:
        return f"line {self.order_id}/{self.line_no}"
