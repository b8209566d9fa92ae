"""Default departments, plan templates per order type and department capacities (idempotent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import migrations

DEPARTMENTS = [
    ("SALES", "销售部"),
    ("PLAN", "计划部"),
    ("PROD", "生产部"),
    ("QC", "质检部"),
    ("WH", "仓储物流部"),
    ("FIN", "财务部"),
    ("SVC", "售后部"),
]

# (seq, code, name, department, duration in working days, load per unit, fixed load, milestone)
_STANDARD = [
    (1, "prepare", "备料", "PLAN", 1, "0", "0", False),
    (2, "produce", "生产", "PROD", 3, "0.5", "2", False),
    (3, "inspect", "质检", "QC", 1, "0", "0", False),
    (4, "ship", "发货", "WH", 1, "0", "0", True),
    (5, "sign", "签收", "SALES", 2, "0", "0", True),
    (6, "invoice", "开票", "FIN", 1, "0", "0", False),
    (7, "collect", "收款", "FIN", 30, "0", "0", False),
]
_PREORDER = [
    (1, "prepare", "备料", "PLAN", 2, "0", "0", False),
    (2, "produce", "生产", "PROD", 10, "0.5", "4", False),
    (3, "inspect", "质检", "QC", 1, "0", "0", False),
    (4, "ship", "发货", "WH", 1, "0", "0", True),
    (5, "sign", "签收", "SALES", 2, "0", "0", True),
    (6, "invoice", "开票", "FIN", 1, "0", "0", False),
    (7, "collect", "收款", "FIN", 30, "0", "0", False),
]
_SAMPLE = [
    (1, "prepare", "备料", "PLAN", 1, "0", "0", False),
    (2, "ship", "发货", "WH", 1, "0", "0", True),
    (3, "sign", "签收", "SALES", 2, "0", "0", True),
]
_RETURN = [
    (1, "receive", "退货入库", "WH", 2, "0", "0", True),
    (2, "inspect", "质检", "QC", 1, "0", "0", False),
    (3, "refund", "退款/红冲", "FIN", 2, "0", "0", True),
]
TEMPLATES = [
    ("STD", "标准订单计划", "standard", _STANDARD),
    ("PRE", "预订/按单生产计划", "preorder", _PREORDER),
    ("SMP", "样品单计划", "sample", _SAMPLE),
    ("RET", "退货计划", "return", _RETURN),
]
CAPACITY = [
    ("PROD", "hours", "80"),
    ("PLAN", "hours", "16"),
    ("QC", "hours", "24"),
    ("WH", "hours", "40"),
    ("FIN", "hours", "16"),
    ("SALES", "hours", "40"),
    ("SVC", "hours", "16"),
]


def create_defaults(apps: Any, schema_editor: Any) -> None:
    department_model = apps.get_model("accounts", "Department")
    template_model = apps.get_model("fulfillment", "PlanTemplate")
    step_model = apps.get_model("fulfillment", "PlanTemplateStep")
    capacity_model = apps.get_model("fulfillment", "DepartmentCapacity")
    departments = {}
    for code, name in DEPARTMENTS:
        department = department_model.objects.filter(code=code).first()
        if department is None:
            department = department_model.objects.filter(name=name).first()
        if department is None:
            department = department_model.objects.create(code=code, name=name)
        departments[code] = department
    for code, name, order_type, steps in TEMPLATES:
        template, created = template_model.objects.get_or_create(
            code=code, defaults={"name": name, "order_type": order_type, "is_default": True}
        )
        if not created:
            continue
        for seq, step_code, step_name, dept, days, per_unit, fixed, milestone in steps:
            step_model.objects.create(
                template=template,
                seq=seq,
                code=step_code,
                name=step_name,
                department=departments[dept],
                duration_days=days,
                load_per_unit=Decimal(per_unit),
                load_fixed=Decimal(fixed),
                is_milestone=milestone,
            )
    for code, unit, per_day in CAPACITY:
        capacity_model.objects.get_or_create(
            department=departments[code], defaults={"unit": unit, "per_day": Decimal(per_day)}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("fulfillment", "0002_plans_step_load"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
