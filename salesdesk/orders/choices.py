"""Order statuses (one field per concern, DOMAIN.md §4.3) and what each order type does (§4.1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderType(models.TextChoices):
    STANDARD = "standard", _("Standard order")
    PREORDER = "preorder", _("Pre-order / make-to-order")
    SAMPLE = "sample", _("Sample order")
    RETURN = "return", _("Sales return")


class Status(models.TextChoices):
    """The document's lifecycle."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CONFIRMED = "confirmed", _("Confirmed")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ApprovalStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", _("No approval needed")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ConfirmationStatus(models.TextChoices):
    """The customer's confirmation of the order summary (signed link or recorded by the salesperson)."""

    NOT_REQUIRED = "not_required", _("No customer confirmation needed")
    NOT_SENT = "not_sent", _("Confirmation not sent")
    PENDING = "pending", _("Awaiting customer confirmation")
    CONFIRMED = "confirmed", _("Confirmed by customer")
    CHANGE_REQUESTED = "change_requested", _("Customer asked for a change")


class ShippingStatus(models.TextChoices):
    NOT_SHIPPED = "not_shipped", _("Not shipped")
    PARTIAL = "partial", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")


class BillingStatus(models.TextChoices):
    NOT_BILLED = "not_billed", _("Not invoiced")
    PARTIAL = "partial", _("Partially invoiced")
    BILLED = "billed", _("Invoiced")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTIAL = "partial", _("Partially paid")
    PAID = "paid", _("Paid")


class PriceMode(models.TextChoices):
    TAX_INCLUDED = "tax_included", _("Prices include tax")
    TAX_EXCLUDED = "tax_excluded", _("Prices exclude tax")


class ApprovalRule(models.TextChoices):
    """Why an order needs a manager's approval (DOMAIN.md §4.4)."""

    PRICE_FLOOR = "price_floor", _("Price below the floor price")
    DISCOUNT_LIMIT = "discount_limit", _("Discount beyond the limit")
    CREDIT_LIMIT = "credit_limit", _("Credit limit exceeded")
    OVERDUE = "overdue", _("Customer has overdue receivables")
    NEW_CUSTOMER = "new_customer", _("First order of a new customer")
    NEW_PRODUCT = "new_product", _("Product never sold before")
    AMOUNT = "amount", _("Order amount above the approval threshold")
    SAMPLE = "sample", _("Sample orders always need approval")
    RETURN = "return", _("Returns always need approval")


@dataclass(frozen=True)
class OrderTypeBehaviour:
    """What an order type does: reserve stock at confirmation, ask the customer, which rules apply."""

    reserves_stock: bool
    requires_customer_confirmation: bool
    approval_rules: frozenset[str]
    number_prefix_parameter: str | None  # None = the order number prefix parameter
    number_prefix: str


_PRICE_RULES = frozenset(
    {
        ApprovalRule.PRICE_FLOOR,
        ApprovalRule.DISCOUNT_LIMIT,
        ApprovalRule.CREDIT_LIMIT,
        ApprovalRule.OVERDUE,
        ApprovalRule.NEW_CUSTOMER,
        ApprovalRule.NEW_PRODUCT,
        ApprovalRule.AMOUNT,
    }
)

BEHAVIOUR: dict[str, OrderTypeBehaviour] = {
    OrderType.STANDARD: OrderTypeBehaviour(True, True, _PRICE_RULES, "orders.number_prefix", "XSDD"),
    OrderType.PREORDER: OrderTypeBehaviour(False, True, _PRICE_RULES, "orders.number_prefix", "XSDD"),
    OrderType.SAMPLE: OrderTypeBehaviour(
        True,
        False,
        frozenset({ApprovalRule.SAMPLE, ApprovalRule.NEW_CUSTOMER}),
        "orders.number_prefix",
        "XSDD",
    ),
    OrderType.RETURN: OrderTypeBehaviour(False, False, frozenset({ApprovalRule.RETURN}), None, "XSTH"),
}


class EventType(models.TextChoices):
    """What the order timeline records."""

    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CONFIRMATION_SENT = "confirmation_sent", _("Confirmation link sent")
    CUSTOMER_VIEWED = "customer_viewed", _("Customer opened the confirmation link")
    CUSTOMER_CONFIRMED = "customer_confirmed", _("Customer confirmed")
    CUSTOMER_CHANGE_REQUESTED = "customer_change_requested", _("Customer asked for a change")
    CONFIRMED = "confirmed", _("Confirmed")
    STOCK_RESERVED = "stock_reserved", _("Stock reserved")
    STOCK_SHORT = "stock_short", _("Confirmation refused: stock short")
    STOCK_RELEASED = "stock_released", _("Stock released")
    HELD = "held", _("Put on hold")
    RESUMED = "resumed", _("Resumed")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed short")
    COPIED = "copied", _("Copied")
    DUPLICATE_ACKNOWLEDGED = "duplicate_acknowledged", _("Possible duplicate acknowledged")
    PRINTED = "printed", _("Printed")
    EXPORTED = "exported", _("Exported")
    COMMENT = "comment", _("Comment")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    PLAN_GENERATED = "plan_generated", _("Plan generated")
    STEP_STARTED = "step_started", _("Plan step started")
    STEP_FINISHED = "step_finished", _("Plan step finished")
    STEP_BLOCKED = "step_blocked", _("Plan step blocked")
    STEP_UNBLOCKED = "step_unblocked", _("Plan step unblocked")
    STEP_REASSIGNED = "step_reassigned", _("Plan step re-assigned")
    STEP_REDATED = "step_redated", _("Plan step re-dated")
    PLAN_REPLANNED = "plan_replanned", _("Plan re-scheduled")
    CHANGED = "changed", _("Changed (new version)")
    CHANGE_REQUESTED = "change_requested", _("Change requested")
    CHANGE_REJECTED = "change_rejected", _("Change request rejected")
    EXCEPTION = "exception", _("Exception")
    STEP_PROGRESS = "step_progress", _("Plan step progress reported")
