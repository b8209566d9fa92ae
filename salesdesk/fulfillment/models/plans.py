"""Plan templates per order type, the plan of each order with its steps, department capacity (C7)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CapacityUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    UNITS = "units", _("units")


class PlanTemplate(models.Model):
    """The ordered steps an order of one type goes through.

    For example 备料 → 生产 → 质检 → 发货 → 签收 → 开票 → 收款.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    order_type = models.CharField(_("order type"), max_length=20, db_index=True)
    is_default = models.BooleanField(_("default for the order type"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan template")
        verbose_name_plural = _("plan templates")
        ordering = ["order_type", "code"]

    def __str__(self) -> str:
        return self.name


class PlanTemplateStep(models.Model):
    """One step of a template: department, default owner, duration in working days, work per unit."""

    template = models.ForeignKey(
        PlanTemplate,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("template"),
        db_index=False,
    )
    seq = models.PositiveSmallIntegerField(_("sequence"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=50)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default owner"),
    )
    duration_days = models.PositiveSmallIntegerField(_("duration (working days)"), default=1)
    load_per_unit = models.DecimalField(
        _("load per ordered unit"),
        max_digits=12,
        decimal_places=4,
        default=Decimal("0"),
        help_text=_("Capacity used per ordered base unit (hours or units)."),
    )
    load_fixed = models.DecimalField(
        _("fixed load per order"), max_digits=12, decimal_places=4, default=Decimal("0")
    )
    is_milestone = models.BooleanField(_("customer-visible milestone"), default=False)

    class Meta:
        verbose_name = _("template step")
        verbose_name_plural = _("template steps")
        ordering = ["template_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["template", "seq"], name="uniq_template_step_seq")]

    def __str__(self) -> str:
        return f"{self.template_id}.{self.seq} {self.name}"


class OrderPlan(models.Model):
    """The plan generated when an order is confirmed; the order is known by id and number."""

    # No database constraint on the order, nor on a step's plan and order (docs/architecture.md, "Rows
    # written with their order"): written in the same statement as the order or under its lock.
    order = models.OneToOneField(
        "orders.SalesOrder",
        on_delete=models.CASCADE,
        related_name="plan",
        verbose_name=_("order"),
        db_constraint=False,
    )
    template = models.ForeignKey(
        PlanTemplate, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("template")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    planned_finish = models.DateField(_("planned finish"), null=True, blank=True)

    class Meta:
        verbose_name = _("order plan")
        verbose_name_plural = _("order plans")

    def __str__(self) -> str:
        return f"plan {self.order_id}"


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class PlanStep(models.Model):
    """One step of one order's plan, with a responsible person and dates."""

    plan = models.ForeignKey(  # the index: uniq_plan_step_seq (plan, seq) leads with it
        OrderPlan,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("plan"),
        db_index=False,
        db_constraint=False,
    )
    order = models.ForeignKey(
        "orders.SalesOrder",
        on_delete=models.CASCADE,
        related_name="plan_steps",
        verbose_name=_("order"),
        db_constraint=False,
    )
    seq = models.PositiveSmallIntegerField(_("sequence"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=50)
    department = models.ForeignKey(  # the index: step_dept_due (department, status, planned_due)
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
        db_index=False,
    )
    owner = models.ForeignKey(  # the index: step_owner_due (owner, status, planned_due)
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_steps",
        verbose_name=_("responsible"),
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    planned_start = models.DateField(_("planned start"))
    planned_due = models.DateField(_("due"))
    actual_start = models.DateTimeField(_("started at"), null=True, blank=True)
    actual_finish = models.DateTimeField(_("finished at"), null=True, blank=True)
    load = models.DecimalField(_("capacity load"), max_digits=12, decimal_places=4, default=Decimal("0"))
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    blocked_reason = models.CharField(_("blocked reason"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        ordering = ["order_id", "seq"]
        permissions = [("reassign_planstep", "Can re-assign and re-date plan steps")]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="uniq_plan_step_seq"),
            models.CheckConstraint(
                condition=models.Q(planned_due__gte=models.F("planned_start")),
                name="plan_step_due_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "planned_due"], name="step_owner_due"),
            models.Index(fields=["department", "status", "planned_due"], name="step_dept_due"),
            models.Index(fields=["status", "planned_start"], name="step_status_start"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}.{self.seq} {self.name}"


class DepartmentCapacity(models.Model):
    """How much a department can do per working day (hours or units)."""

    department = models.OneToOneField(
        "accounts.Department", on_delete=models.CASCADE, related_name="capacity", verbose_name=_("department")
    )
    unit = models.CharField(
        _("unit"), max_length=10, choices=CapacityUnit.choices, default=CapacityUnit.HOURS
    )
    per_day = models.DecimalField(_("capacity per working day"), max_digits=12, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department capacity")
        verbose_name_plural = _("department capacities")
        permissions = [
            ("view_capacity", "Can view capacity and loads"),
            ("change_capacity", "Can change department capacity"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(per_day__gte=0), name="capacity_non_negative")
        ]

    def __str__(self) -> str:
        return f"{self.department_id}: {self.per_day}/{self.unit}"


class CapacityOverride(models.Model):
    """A day with a different capacity (overtime, maintenance, a company holiday)."""

    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
        db_index=False,
    )
    day = models.DateField(_("day"))
    per_day = models.DecimalField(_("capacity"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("capacity override")
        verbose_name_plural = _("capacity overrides")
        constraints = [models.UniqueConstraint(fields=["department", "day"], name="uniq_capacity_override")]

    def __str__(self) -> str:
        return f"{self.department_id} {self.day}"


class StepLoad(models.Model):
    """The capacity one open step takes on one working day (summed per department and day for loads)."""

    step = models.ForeignKey(
        PlanStep, on_delete=models.CASCADE, related_name="day_loads", verbose_name=_("step")
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
        db_index=False,
    )
    day = models.DateField(_("day"))
    load = models.DecimalField(_("load"), max_digits=12, decimal_places=4)

    class Meta:
        verbose_name = _("step load")
        verbose_name_plural = _("step loads")
        indexes = [models.Index(fields=["department", "day"], name="step_load_dept_day")]

    def __str__(self) -> str:
        return f"{self.step_id} {self.day} {self.load}"
