"""API for alerts (issue 4)."""

from ninja import Router

router = Router(tags=["alerts"])
