"""API for customers (filled in by the customers work)."""

from ninja import Router

router = Router(tags=["customers"])
