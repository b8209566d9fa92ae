"""API for shipping."""

from ninja import Router

router = Router(tags=["shipping"])
