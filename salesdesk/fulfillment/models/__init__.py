"""Fulfillment models, one module per concern: plans and capacity, collaboration, alerts, changes."""

from .alerts import Alert
from .changes import ChangeRequest, OrderException, OrderVersion
from .collab import Article, Comment, Notification
from .plans import CapacityOverride, DepartmentCapacity, OrderPlan, PlanStep, PlanTemplate, PlanTemplateStep

__all__ = [
    "Alert",
    "Article",
    "CapacityOverride",
    "ChangeRequest",
    "Comment",
    "DepartmentCapacity",
    "Notification",
    "OrderException",
    "OrderPlan",
    "OrderVersion",
    "PlanStep",
    "PlanTemplate",
    "PlanTemplateStep",
]
