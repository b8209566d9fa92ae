"""API for inventory (filled in by the inventory work)."""

from ninja import Router

router = Router(tags=["inventory"])
