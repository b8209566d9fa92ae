"""Master data shared by the order benchmarks: users, customers (with contact and address), products, stock.

Everything is created with plain ``bulk_create`` (no history rows, no audit) because it is fixture data
for benchmarks, not business activity. Call :func:`setup_django` before importing this module's helpers.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CITIES = ["深圳", "广州", "东莞", "佛山", "上海", "苏州", "杭州", "宁波", "北京", "天津", "成都", "武汉"]
BRANDS = [
    "华信",
    "恒达",
    "鼎盛",
    "宏远",
    "瑞丰",
    "金桥",
    "海纳",
    "天成",
    "永兴",
    "嘉禾",
    "联创",
    "中科",
    "博远",
    "新锐",
    "盛世",
    "安泰",
    "隆基",
    "鑫源",
    "锦程",
    "东方",
    "汇通",
    "腾飞",
    "明德",
    "正和",
]
TRADES = ["科技", "电子", "贸易", "机械", "五金", "包装", "塑胶", "建材", "电气", "化工"]
SUFFIXES = ["有限公司", "股份有限公司", "实业有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "强", "丽", "涛", "明"]
PRODUCT_KINDS = [
    ("不锈钢螺栓", "M8×30", "盒"),
    ("铜接头", "DN15", "个"),
    ("PVC管", "Φ20×2m", "根"),
    ("包装纸箱", "40×30×25cm", "个"),
    ("电源适配器", "12V2A", "个"),
    ("轴承", "6204ZZ", "个"),
    ("密封圈", "Φ50", "个"),
    ("电缆", "RVV3×1.5", "米"),
    ("润滑油", "4L", "桶"),
    ("胶带", "48mm×100m", "卷"),
]
REGION = "440305"  # 深圳市南山区


def setup_django(database_url: str, settings_module: str = "config.settings.dev") -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log in memory


def prepare_database() -> None:
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        sys.exit("the order benchmarks need DATABASE_URL pointing at PostgreSQL")
    call_command("ensure_database")
    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class MasterData:
    admin: Any
    manager: Any
    salespeople: list[Any]
    customers: list[Any] = field(default_factory=list)
    products: list[Any] = field(default_factory=list)
    warehouse: Any = None


def customer_name(i: int) -> str:
    rnd = random.Random(i)
    return (
        f"{CITIES[i % len(CITIES)]}{rnd.choice(BRANDS)}{rnd.choice(BRANDS)}"
        f"{TRADES[(i // 7) % len(TRADES)]}{i:04d}{SUFFIXES[i % len(SUFFIXES)]}"
    )


def create_master_data(
    *, customers: int, products: int, salespeople: int, stock: int = 0, tag: str = "B"
) -> MasterData:
    """Users (admin, one manager, ``salespeople`` salespeople in one team), customers, products, stock."""
    from salesdesk.accounts.models import Department, Team, User
    from salesdesk.accounts.services import create_user
    from salesdesk.catalog.models import Product
    from salesdesk.core.text import name_match_key, pinyin_keys
    from salesdesk.customers.models import Address, Contact, Customer
    from salesdesk.inventory.models import StockLevel, Warehouse

    password = "Bench-pass-2026"
    dept, _ = Department.objects.get_or_create(code=f"BENCH{tag}", defaults={"name": f"压测{tag}部"})
    team, _ = Team.objects.get_or_create(name=f"压测{tag}组", defaults={"department": dept})

    def user(username: str, name: str, role: str) -> Any:
        found = User.objects.filter(username=username).first()
        if found is not None:
            return found
        return create_user(username=username, password=password, name=name, roles=[role], by=None, team=team)

    admin = user(f"{tag.lower()}admin", "压测管理员", "administrator")
    manager = user(f"{tag.lower()}manager", "压测经理", "manager")
    sales = [user(f"{tag.lower()}sales{i}", f"销售{i}", "salesperson") for i in range(1, salespeople + 1)]
    if team.manager_id != manager.pk:
        team.manager = manager
        team.save(update_fields=["manager"])
    data = MasterData(admin=admin, manager=manager, salespeople=sales)

    if not Customer.objects.filter(code__startswith=f"{tag}C").exists():
        rows = []
        for i in range(customers):
            name = customer_name(i)
            initials, full = pinyin_keys(name)
            rows.append(
                Customer(
                    code=f"{tag}C{i:06d}",
                    name=name,
                    short_name=name[:10],
                    kind=Customer.Kind.COMPANY,
                    name_key=name_match_key(name),
                    pinyin_initials=initials[:100],
                    pinyin_full=full[:400],
                    grade=Customer.Grade.B,
                    owner=sales[i % len(sales)],
                    created_by=admin,
                )
            )
        Customer.objects.bulk_create(rows, batch_size=1000)
        made = list(Customer.objects.filter(code__startswith=f"{tag}C").order_by("id"))
        Contact.objects.bulk_create(
            [
                Contact(
                    customer=c,
                    name=SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)],
                    mobile=f"13{(n * 7919) % 10**9:09d}",
                    is_primary=True,
                )
                for n, c in enumerate(made)
            ],
            batch_size=1000,
        )
        Address.objects.bulk_create(
            [
                Address(
                    customer=c,
                    region_id=REGION,
                    detail=f"科技园路{n % 300 + 1}号",
                    receiver=SURNAMES[(n + 3) % len(SURNAMES)] + GIVEN[(n + 5) % len(GIVEN)],
                    mobile=f"15{(n * 104729) % 10**9:09d}",
                    is_default=True,
                )
                for n, c in enumerate(made)
            ],
            batch_size=1000,
        )
    data.customers = list(Customer.objects.filter(code__startswith=f"{tag}C").order_by("id"))

    if not Product.objects.filter(sku__startswith=f"{tag}P").exists():
        rows_p = []
        for i in range(products):
            kind, spec, unit = PRODUCT_KINDS[i % len(PRODUCT_KINDS)]
            name = f"{kind}{i // len(PRODUCT_KINDS) + 1}型"
            initials, full = pinyin_keys(name)
            rows_p.append(
                Product(
                    sku=f"{tag}P{i:05d}",
                    name=name,
                    spec=spec,
                    unit=unit,
                    tax_rate=Decimal("0.13"),
                    list_price=Decimal(5 + (i * 37) % 200) + Decimal("0.90"),
                    floor_price=None,
                    pinyin_initials=initials[:100],
                    pinyin_full=full[:400],
                )
            )
        Product.objects.bulk_create(rows_p, batch_size=1000)
    data.products = list(Product.objects.filter(sku__startswith=f"{tag}P").order_by("id"))

    warehouse, _ = Warehouse.objects.get_or_create(code=f"{tag}WH", defaults={"name": "压测主仓"})
    data.warehouse = warehouse
    if stock:
        have = set(StockLevel.objects.filter(warehouse=warehouse).values_list("product_id", flat=True))
        StockLevel.objects.bulk_create(
            [
                StockLevel(product=p, warehouse=warehouse, on_hand_qty=Decimal(stock))
                for p in data.products
                if p.pk not in have
            ]
        )
    return data
