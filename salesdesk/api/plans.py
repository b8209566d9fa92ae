"""API for plans (issue 4)."""

from ninja import Router

router = Router(tags=["plans"])
