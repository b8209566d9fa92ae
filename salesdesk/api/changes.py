"""API for changes (issue 4)."""

from ninja import Router

router = Router(tags=["changes"])
