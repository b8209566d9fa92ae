"""Fulfillment API: plans and capacity, alerts and notifications, changes, exceptions, comments."""

from ninja import Router

from salesdesk.api import alerts, changes, plans

router = Router()
router.add_router("", plans.router)
router.add_router("", alerts.router)
router.add_router("", changes.router)
