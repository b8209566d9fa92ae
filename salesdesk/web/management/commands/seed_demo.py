"""Load the demo company (a Shenzhen industrial-supplies distributor): people, customers, products, stock.

Deterministic (``random.Random(2026)``), and idempotent: what already exists (users by name, customers by
credit code, products by SKU, warehouses by code) is left alone. ``--if-empty`` does nothing at all once
the user ``admin`` exists. Every write goes through the services of its area, so the data passes the
same validation and lands in the audit log like anything a user enters.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.accounts.models import Department, Team, User
from salesdesk.accounts.roles import ROLE_BY_CODE
from salesdesk.accounts.services import create_department, create_team, create_user, set_team_manager
from salesdesk.catalog.models import Category, Product
from salesdesk.catalog.services import create_category, create_product
from salesdesk.core import shared_cache
from salesdesk.core.audit import record_audit
from salesdesk.core.validators import gtin_check_digit, org_code_check_char, uscc_check_char
from salesdesk.customers.models import Customer
from salesdesk.customers.services import create_customer
from salesdesk.fulfillment.actions import run_order_action
from salesdesk.fulfillment.alerts import scan_alerts
from salesdesk.fulfillment.calendar import WorkCalendar
from salesdesk.fulfillment.changes import request_change
from salesdesk.fulfillment.comments import add_comment
from salesdesk.fulfillment.exceptions import report_exception, resolve_exception
from salesdesk.fulfillment.knowledge import article_from_exception
from salesdesk.fulfillment.models import PlanStep, PlanTemplateStep
from salesdesk.fulfillment.models.plans import StepStatus
from salesdesk.fulfillment.plans import block_step, finish_step, start_step
from salesdesk.inventory.models import Warehouse
from salesdesk.inventory.selectors import get_stock
from salesdesk.inventory.services import create_warehouse, receive_stock, set_safety_stock
from salesdesk.orders.choices import ApprovalStatus
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.services import (
    approve_order,
    cancel_order,
    close_order,
    create_order,
    customer_confirm,
    customer_request_change,
    get_order_for_customer,
    hold_order,
    record_customer_confirmation,
    send_confirmation,
    submit_order,
)
from salesdesk.pricing.models import PriceList
from salesdesk.pricing.services import create_price_list
from salesdesk.shipping.models import Shipment
from salesdesk.shipping.services import add_tracking_event, create_shipment, sign_shipment

SEED = 2026
PASSWORD_FILE = "demo-password.txt"

# The codes the fulfillment migration gives its departments (plan templates and capacities use them).
DEPARTMENTS = (
    ("SALES", "销售部"),
    ("PLAN", "计划部"),
    ("PROD", "生产部"),
    ("QC", "质检部"),
    ("WH", "仓储物流部"),
    ("FIN", "财务部"),
    ("SVC", "售后部"),
    ("IT", "信息部"),
)
TEAM = "华南销售一组"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    department: str
    mobile: str


USERS = (
    DemoUser("admin", "系统管理员", "administrator", "IT", "13600001001"),
    DemoUser("manager", "王强", "manager", "SALES", "13600001002"),
    DemoUser("sales1", "张伟", "salesperson", "SALES", "13600001003"),
    DemoUser("sales2", "李娜", "salesperson", "SALES", "13600001004"),
    DemoUser("planner", "刘洋", "planner", "PLAN", "13600001005"),
    DemoUser("warehouse", "陈静", "warehouse", "WH", "13600001006"),
    DemoUser("finance", "赵敏", "finance", "FIN", "13600001007"),
    DemoUser("service", "孙磊", "service", "SVC", "13600001008"),
)
TEAM_MEMBERS = ("manager", "sales1", "sales2")

# (county code, city prefix used in names, registering authority code, area code, streets)
PLACES = (
    ("440305", "深圳", "440300", "0755", ("科技园南路", "粤海大道", "高新南九道")),
    ("440306", "深圳", "440300", "0755", ("宝安大道", "福海工业区福园一路", "沙井南环路")),
    ("440307", "深圳", "440300", "0755", ("坂田五和大道", "布吉中心路", "平湖华南大道")),
    ("440106", "广州", "440100", "020", ("天河路", "黄埔大道西", "中山大道")),
    ("440113", "广州", "440100", "020", ("市桥光明北路", "大石105国道", "南村兴南大道")),
    ("440604", "佛山", "440600", "0757", ("季华五路", "汾江中路", "张槎一路")),
    ("440402", "珠海", "440400", "0756", ("情侣中路", "九洲大道", "南屏科技园屏北一路")),
    ("310115", "上海", "310000", "021", ("张江路", "金桥路", "川沙路")),
    ("310112", "上海", "310000", "021", ("莘庄工业区春东路", "七莘路", "紫星路")),
    ("320505", "苏州", "320500", "0512", ("长江路", "狮山路", "金山路")),
    ("320506", "苏州", "320500", "0512", ("吴中大道", "越溪苏旺路", "木渎金枫路")),
    ("330106", "杭州", "330100", "0571", ("文三路", "西溪路", "天目山路")),
    ("330110", "杭州", "330100", "0571", ("文一西路", "良渚古墩路", "临平迎宾路")),
    ("330212", "宁波", "330200", "0574", ("鄞州大道", "首南中路", "天童南路")),
    ("110108", "北京", "110000", "010", ("中关村大街", "上地十街", "学院路")),
    ("120116", "天津", "120000", "022", ("泰达大街", "黄海路", "第三大街")),
    ("370212", "青岛", "370200", "0532", ("株洲路", "松岭路", "香港东路")),
    ("420106", "武汉", "420100", "027", ("武珞路", "中北路", "徐东大街")),
    ("510107", "成都", "510100", "028", ("武侯大道", "科华北路", "高升桥东路")),
    ("500112", "重庆", "500000", "023", ("金开大道", "龙溪街道新溉大道", "回兴街道宝环路")),
    ("350203", "厦门", "350200", "0592", ("湖滨南路", "厦禾路", "鹭江道")),
    ("430104", "长沙", "430100", "0731", ("麓谷大道", "桐梓坡路", "岳麓大道")),
    ("610113", "西安", "610100", "029", ("科技路", "高新路", "长安南路")),
    ("320106", "南京", "320100", "025", ("中山北路", "北京西路", "湖南路")),
    ("340104", "合肥", "340100", "0551", ("长江西路", "黄山路", "望江西路")),
)
TRADE_NAMES = (
    "华辰",
    "恒泰",
    "鑫源",
    "宏达",
    "瑞丰",
    "汇通",
    "永盛",
    "嘉诚",
    "联创",
    "天润",
    "盛世",
    "金桥",
    "中拓",
    "博远",
    "精工",
    "启航",
    "鼎力",
    "新科",
    "海纳",
    "众合",
    "凯达",
    "安泰",
    "德信",
    "广源",
)
INDUSTRIES = (
    ("精密机械", "机械制造"),
    ("电子科技", "电子制造"),
    ("自动化设备", "机械制造"),
    ("五金制品", "五金加工"),
    ("塑胶模具", "模具制造"),
    ("汽车零部件", "汽车配件"),
    ("建筑工程", "建筑施工"),
    ("物业管理", "物业服务"),
    ("新能源科技", "新能源"),
    ("包装材料", "包装印刷"),
    ("家具制造", "家具"),
    ("环保设备", "环保"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
GIVEN = "伟芳娜敏静磊强军洋勇艳杰娟涛明超秀霞平刚桂英华丽玲鹏飞晨宇浩然思雨欣怡子涵梓萱"
TITLES = ("采购经理", "采购专员", "设备主管", "总经理", "行政主管", "仓库主管", "财务经理")
GRADES = ("A", "B", "B", "C", "C", "C", "C", "D")

# (category code, category name, [(name, specs, unit, base price, unit_decimals, packs)])
# packs: extra units as (unit, rate to the base unit)
Item = tuple[str, tuple[str, ...], str, str, int, tuple[tuple[str, int], ...]]
CATALOGUE: tuple[tuple[str, str, tuple[Item, ...]], ...] = (
    (
        "01",
        "紧固件",
        (
            (
                "304不锈钢六角螺栓",
                (
                    "M6×20",
                    "M6×30",
                    "M8×20",
                    "M8×30",
                    "M8×40",
                    "M10×30",
                    "M10×50",
                    "M12×40",
                    "M12×60",
                    "M16×80",
                ),
                "个",
                "0.35",
                0,
                (("盒", 100),),
            ),
            (
                "8.8级镀锌外六角螺栓",
                ("M8×30", "M10×40", "M12×50", "M14×60", "M16×70", "M20×80"),
                "个",
                "0.28",
                0,
                (("盒", 50),),
            ),
            ("304不锈钢六角螺母", ("M6", "M8", "M10", "M12", "M16", "M20"), "个", "0.12", 0, (("盒", 200),)),
            ("不锈钢平垫圈", ("Φ6", "Φ8", "Φ10", "Φ12", "Φ16"), "个", "0.05", 0, (("袋", 500),)),
            (
                "内六角圆柱头螺钉",
                ("M4×10", "M5×12", "M6×16", "M8×20", "M10×25"),
                "个",
                "0.22",
                0,
                (("盒", 100),),
            ),
            ("膨胀螺栓", ("M8×80", "M10×100", "M12×120", "M16×150"), "套", "1.80", 0, (("盒", 50),)),
            ("自攻螺钉", ("ST3.5×16", "ST4.2×19", "ST4.8×25"), "个", "0.04", 0, (("袋", 1000),)),
            ("弹簧垫圈", ("Φ6", "Φ8", "Φ10", "Φ12", "Φ16"), "个", "0.04", 0, (("袋", 500),)),
            ("不锈钢拉铆钉", ("3.2×8", "4×10", "4.8×12"), "个", "0.08", 0, (("盒", 500),)),
            ("U型螺栓", ("M8×50", "M10×70", "M12×90"), "套", "2.40", 0, ()),
        ),
    ),
    (
        "02",
        "润滑油品",
        (
            ("工业润滑油", ("4L×4桶", "18L", "200L"), "箱", "368.00", 0, ()),
            ("抗磨液压油 L-HM46", ("18L", "200L"), "桶", "420.00", 0, ()),
            ("锂基润滑脂", ("400g", "1kg", "15kg"), "支", "18.50", 0, (("箱", 24),)),
            ("齿轮油 L-CKC220", ("18L", "170kg"), "桶", "560.00", 0, ()),
            ("防锈剂 WD-40", ("350ml", "450ml"), "瓶", "32.00", 0, (("箱", 24),)),
            ("导轨油 L-G68", ("18L", "200L"), "桶", "480.00", 0, ()),
            ("切削液 乳化型", ("18L", "200L"), "桶", "310.00", 0, ()),
            ("高温链条油", ("1L", "4L"), "瓶", "58.00", 0, (("箱", 12),)),
        ),
    ),
    (
        "03",
        "轴承",
        (
            (
                "深沟球轴承",
                ("6201-2RS", "6202-2RS", "6203-2RS", "6204-2RS", "6205-2RS", "6206-2RS"),
                "套",
                "8.60",
                0,
                (),
            ),
            ("圆锥滚子轴承", ("30205", "30206", "30207", "30208"), "套", "36.00", 0, ()),
            ("带座外球面轴承", ("UCP204", "UCP205", "UCP206", "UCF205"), "套", "42.00", 0, ()),
            ("直线轴承", ("LM8UU", "LM12UU", "LM16UU", "LM20UU"), "个", "12.00", 0, ()),
            ("调心球轴承", ("1205", "1206", "1207", "1208"), "套", "28.00", 0, ()),
            ("推力球轴承", ("51104", "51105", "51106", "51107"), "套", "9.80", 0, ()),
        ),
    ),
    (
        "04",
        "密封件",
        (
            ("丁腈橡胶O型圈", ("10×2", "20×2.5", "30×3", "50×3.5", "80×5"), "个", "0.60", 0, (("袋", 100),)),
            ("氟橡胶骨架油封", ("TC25×40×7", "TC35×52×8", "TC45×62×8", "TC55×72×10"), "个", "6.50", 0, ()),
            ("聚四氟乙烯生料带", ("12mm×10m", "20mm×15m"), "卷", "1.20", 0, (("箱", 200),)),
            ("石棉橡胶板", ("1mm", "2mm", "3mm"), "kg", "15.00", 2, ()),
            ("V型密封圈", ("V-20A", "V-30A", "V-40A"), "个", "1.50", 0, ()),
            ("硅胶密封条", ("D型 8×6", "P型 9×5.5"), "米", "3.20", 1, (("卷", 50),)),
        ),
    ),
    (
        "05",
        "五金工具",
        (
            ("开口扳手", ("8-10mm", "12-14mm", "17-19mm", "22-24mm"), "把", "14.00", 0, ()),
            ("十字螺丝刀", ("PH1×100", "PH2×150", "PH3×200"), "把", "9.50", 0, ()),
            ("电动冲击钻", ("750W 13mm", "1050W 16mm"), "台", "389.00", 0, ()),
            ("角磨机", ("100型 850W", "125型 1200W"), "台", "299.00", 0, ()),
            ("树脂切割片", ("Φ105×1.2", "Φ355×3.0"), "片", "2.60", 0, (("盒", 50),)),
            ("钢卷尺", ("3m", "5m", "7.5m"), "把", "12.00", 0, ()),
            ("内六角扳手套装", ("9件 公制", "9件 英制"), "套", "35.00", 0, ()),
            ("数显游标卡尺", ("0-150mm", "0-200mm", "0-300mm"), "把", "118.00", 0, ()),
            ("液压千斤顶", ("5T", "10T", "20T"), "台", "165.00", 0, ()),
        ),
    ),
    (
        "06",
        "劳保用品",
        (
            ("防护手套 丁腈浸胶", ("M", "L", "XL"), "双", "4.50", 0, (("打", 12),)),
            ("安全帽 ABS", ("红色", "黄色", "蓝色", "白色"), "顶", "26.00", 0, ()),
            ("防尘口罩 KN95", ("头戴式",), "只", "1.80", 0, (("盒", 50),)),
            ("劳保鞋 防砸防刺", ("39码", "40码", "41码", "42码", "43码", "44码"), "双", "128.00", 0, ()),
            ("反光背心", ("均码",), "件", "9.00", 0, ()),
            ("防护眼镜", ("透明防雾", "灰色防紫外"), "副", "8.50", 0, ()),
            ("耳塞 防噪音", ("带线", "不带线"), "副", "1.20", 0, (("盒", 100),)),
            ("焊工手套 牛皮", ("长款", "短款"), "双", "16.00", 0, ()),
        ),
    ),
    (
        "07",
        "电气元件",
        (
            ("交流接触器", ("CJX2-0910 220V", "CJX2-1810 380V", "CJX2-3210 380V"), "只", "48.00", 0, ()),
            ("小型断路器", ("1P C16", "2P C32", "3P C63"), "只", "22.00", 0, ()),
            ("铜芯电缆 BVR", ("1.5平方", "2.5平方", "4平方", "6平方"), "米", "2.80", 1, (("卷", 100),)),
            ("按钮开关", ("LA38-11 绿", "LA38-11 红"), "只", "6.80", 0, ()),
            ("中间继电器", ("MY2NJ DC24V", "MY4NJ AC220V"), "只", "15.00", 0, ()),
            ("行程开关", ("TZ-8108", "TZ-8111"), "只", "18.00", 0, ()),
            ("热过载继电器", ("JRS1D-25 9-13A", "JRS1D-25 17-25A"), "只", "42.00", 0, ()),
            ("LED指示灯", ("AD16-22DS 红", "AD16-22DS 绿", "AD16-22DS 黄"), "只", "3.50", 0, ()),
        ),
    ),
    (
        "08",
        "管件阀门",
        (
            ("304不锈钢球阀", ("DN15", "DN20", "DN25", "DN32", "DN50"), "个", "38.00", 0, ()),
            ("镀锌弯头 90°", ("DN15", "DN20", "DN25", "DN40"), "个", "3.20", 0, ()),
            ("PPR热熔管", ("20×2.8", "25×3.5", "32×4.4"), "米", "5.60", 1, (("根", 4),)),
            ("法兰闸阀", ("DN50 PN16", "DN80 PN16", "DN100 PN16"), "台", "460.00", 0, ()),
            ("止回阀", ("DN25", "DN40", "DN50"), "个", "66.00", 0, ()),
            ("不锈钢卡箍", ("Φ20-32", "Φ40-64"), "个", "2.20", 0, (("袋", 50),)),
            ("压力表", ("0-1.6MPa Y-60", "0-2.5MPa Y-100"), "只", "28.00", 0, ()),
        ),
    ),
)

WAREHOUSES = (
    ("SZ01", "深圳总仓", "广东省深圳市宝安区福海街道福园一路18号"),
    ("GZ01", "广州仓", "广东省广州市番禺区南村镇兴南大道368号"),
    ("SH01", "上海仓", "上海市闵行区春东路508号"),
)


def usccs_for(rng: random.Random, authority: str) -> str:
    """A valid USCC (企业, 9 1) registered in ``authority``, with a valid organisation code inside."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "".join(rng.choice(alphabet) for _ in range(8))
    first17 = f"91{authority}{body}{org_code_check_char(body)}"
    return first17 + uscc_check_char(first17)


def ean13(seq: int) -> str:
    """An EAN-13 under the 690 (China) prefix with its check digit."""
    first12 = f"6901234{seq:05d}"
    return first12 + gtin_check_digit(first12)


def generate_password() -> str:
    """A random password meeting the policy: 14 characters, all four classes, no user name inside."""
    alphabet = string.ascii_letters + string.digits + "-_!@#%"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14))
        classes = [
            any(c.islower() for c in candidate),
            any(c.isupper() for c in candidate),
            any(c.isdecimal() for c in candidate),
            any(not c.isalnum() for c in candidate),
        ]
        if all(classes) and not any(u.username in candidate.lower() for u in USERS):
            return candidate


class Command(BaseCommand):
    help = (
        "Load the demo company: users (one per role), 40 customers, 200 products, 3 warehouses with stock, "
        "price lists and 30 orders in every state over the last three weeks, with plans, shipments, alerts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the user admin exists")
        parser.add_argument("--customers", type=int, default=40, help="how many customers (default 40)")
        parser.add_argument("--products", type=int, default=200, help="how many products (default 200)")
        parser.add_argument("--orders", type=int, default=30, help="how many demo orders (default 30)")

    def handle(self, *args: Any, **options: Any) -> None:
        password_file = Path(settings.VAR_DIR) / PASSWORD_FILE
        if options["if_empty"] and User.objects.filter(username="admin").exists():
            self.stdout.write(_("Demo data already present; nothing loaded."))
            self._print_logins(self._known_password(password_file))
            return
        password = self._password(password_file)
        rng = random.Random(SEED)
        started = time.monotonic()
        with transaction.atomic():
            users = self._people(password)
            admin = users["admin"]
            self._customers(rng, admin, users, options["customers"])
            products = self._products(rng, admin, options["products"])
            self._stock(rng, admin, products)
        quiet = logging.getLogger("salesdesk.orders")
        level = quiet.level
        if options["verbosity"] < 2:  # one INFO line per order action is noise here
            quiet.setLevel(logging.WARNING)
        try:
            with transaction.atomic():
                self._business(users, products, options["orders"])
        finally:
            quiet.setLevel(level)
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo data is ready (%(seconds).1f s).") % {"seconds": time.monotonic() - started}
            )
        )
        self._print_logins(password)

    # --- password ---------------------------------------------------------------------------------

    def _known_password(self, password_file: Path) -> str | None:
        env = os.environ.get("SALESDESK_DEMO_PASSWORD") or getattr(settings, "DEMO_PASSWORD", "")
        if env:
            return env
        if password_file.exists():
            return password_file.read_text(encoding="utf-8").strip() or None
        return None

    def _password(self, password_file: Path) -> str:
        known = self._known_password(password_file)
        if known:
            for spec in USERS:
                try:
                    password_validation.validate_password(known, User(username=spec.username))
                except ValidationError as exc:
                    raise CommandError(
                        _("The demo password breaks the password policy for %(user)s: %(reasons)s")
                        % {"user": spec.username, "reasons": " ".join(exc.messages)}
                    ) from None
            return known
        password = generate_password()
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        self.stdout.write(_("Generated a demo password and saved it to %(path)s.") % {"path": password_file})
        return password

    def _print_logins(self, password: str | None) -> None:
        self.stdout.write(_("Demo logins (user name, role, password):"))
        shown = password or _("(unknown: set SALESDESK_DEMO_PASSWORD or see var/%(file)s)") % {
            "file": PASSWORD_FILE
        }
        prefix = _("Demo login")
        for spec in USERS:
            label = str(ROLE_BY_CODE[spec.role].label)
            self.stdout.write(f"  {prefix} {spec.username:<10} {label:<8} {shown}")

    # --- people -----------------------------------------------------------------------------------

    def _people(self, password: str) -> dict[str, User]:
        existing = list(Department.objects.all())
        departments: dict[str, Department] = {}
        for code, name in DEPARTMENTS:
            found = next((d for d in existing if d.code == code), None) or next(
                (d for d in existing if d.name == name), None
            )
            departments[code] = found or create_department(code=code, name=name, by=None)
        team = Team.objects.filter(name=TEAM).first() or create_team(
            name=TEAM, department=departments["SALES"], by=None
        )
        users: dict[str, User] = {
            u.username: u for u in User.objects.filter(username__in=[s.username for s in USERS])
        }
        for spec in USERS:
            if spec.username in users:
                continue
            users[spec.username] = create_user(
                username=spec.username,
                password=password,
                name=spec.name,
                roles=[spec.role],
                team=team if spec.username in TEAM_MEMBERS else None,
                department=departments[spec.department],
                mobile=spec.mobile,
                by=users.get("admin"),
            )
        if team.manager_id is None:
            set_team_manager(team=team, manager=users["manager"], by=users["admin"])
        return users

    def _business(self, users: dict[str, User], products: list[Product], count: int) -> None:
        """Price lists and orders in every state; skipped when the demo orders exist already."""
        business = DemoBusiness(rng=random.Random(SEED + 1), users=users, products=products)
        business.assign_step_owners()
        customers = list(Customer.objects.filter(owner=users["sales1"]).order_by("pk"))
        if not customers or count <= 0 or len(products) < 2:
            return
        if SalesOrder.objects.filter(idempotency_key__startswith=ORDER_KEY).exists():
            return
        priced = business.price_lists(customers)
        business.play(business.plan_orders(count, priced))
        result = scan_alerts()
        self.stdout.write(
            _("%(orders)d demo orders loaded; %(alerts)d open alerts.")
            % {"orders": count, "alerts": result.open}
        )

    # --- customers --------------------------------------------------------------------------------

    def _customers(self, rng: random.Random, admin: User, users: dict[str, User], count: int) -> None:
        owners = [users["sales1"], users["sales1"], users["sales2"], users["sales2"], users["manager"]]
        used_names: set[str] = set()
        used_mobiles: set[str] = {spec.mobile for spec in USERS}
        existing = set(Customer.objects.values_list("uscc", flat=True))
        for i in range(count):
            place = PLACES[i % len(PLACES)]
            county, city, authority, area, streets = place
            while True:
                trade = rng.choice(TRADE_NAMES)
                industry, sector = rng.choice(INDUSTRIES)
                name = (
                    f"{city}市{trade}{industry}有限公司"
                    if city not in {"北京", "上海", "天津", "重庆"}
                    else (f"{city}{trade}{industry}有限公司")
                )
                if name not in used_names:
                    used_names.add(name)
                    break
            uscc = usccs_for(rng, authority)
            contacts = []
            for c in range(rng.choice((1, 1, 2))):
                while True:
                    mobile = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
                    if mobile not in used_mobiles:
                        used_mobiles.add(mobile)
                        break
                person = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
                contacts.append(
                    {
                        "name": person,
                        "title": rng.choice(TITLES),
                        "mobile": mobile,
                        "phone": f"{area}-{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}"
                        if area != "0755" or c
                        else "",
                        "is_primary": c == 0,
                    }
                )
            street = rng.choice(streets)
            detail = f"{street}{rng.randint(1, 399)}号"
            if rng.random() < 0.5:
                detail += f"{rng.choice(('A', 'B', 'C', '1', '2', '3'))}栋{rng.randint(1, 12)}楼"
            addresses = [
                {
                    "region_code": county,
                    "detail": detail,
                    "receiver": contacts[0]["name"],
                    "mobile": contacts[0]["mobile"],
                    "is_default": True,
                }
            ]
            grade = rng.choice(GRADES)
            credit_limit = str(rng.choice((50000, 100000, 200000, 300000, 500000)))
            payment_term_days = rng.choice((0, 30, 30, 60, 90))
            source = rng.choice(("老客户介绍", "展会", "官网咨询", "电话开发"))
            if uscc in existing:  # every draw above is made anyway, so a re-run yields the same data
                continue
            create_customer(
                by=admin,
                name=name,
                kind=Customer.Kind.COMPANY,
                uscc=uscc,
                grade=grade,
                credit_limit=credit_limit,
                payment_term_days=payment_term_days,
                owner=owners[i % len(owners)],
                industry=sector,
                source=source,
                tax_number=uscc,
                contacts=contacts,
                addresses=addresses,
            )

    # --- catalogue --------------------------------------------------------------------------------

    def _products(self, rng: random.Random, admin: User, count: int) -> list[Product]:
        rows: list[tuple[str, str, str, str, str, str, int, tuple[tuple[str, int], ...]]] = []
        categories: dict[str, Category] = {c.code: c for c in Category.objects.all()}
        for code, cat_name, items in CATALOGUE:
            if code not in categories:
                categories[code] = create_category(by=admin, code=code, name=cat_name)
            for name, specs, unit, price, decimals, packs in items:
                for spec in specs:
                    rows.append((code, cat_name, name, spec, unit, price, decimals, packs))
        # Interleave the categories so a small --products still covers all of them.
        by_category: dict[str, list[Any]] = {}
        for row in rows:
            by_category.setdefault(row[0], []).append(row)
        ordered: list[Any] = []
        while any(by_category.values()):
            for code in sorted(by_category):
                if by_category[code]:
                    ordered.append(by_category[code].pop(0))
        if count > len(ordered):
            raise CommandError(_("The demo catalogue has %(n)d products.") % {"n": len(ordered)})
        existing = {p.sku: p for p in Product.objects.all()}
        products: list[Product] = []
        for seq, (code, _cat, name, spec, unit, price, decimals, packs) in enumerate(
            ordered[:count], start=1
        ):
            sku = f"{code}-{seq:04d}"
            factor = Decimal(rng.choice(("0.9", "1", "1", "1.1", "1.2", "1.35")))
            brand = rng.choice(("", "东明", "晋亿", "长城", "统一", "哈轴", "正泰", "德力西", "世达"))
            if sku in existing:
                products.append(existing[sku])
                continue
            list_price = (Decimal(price) * factor).quantize(Decimal("0.01"))
            products.append(
                create_product(
                    by=admin,
                    sku=sku,
                    name=name,
                    spec=spec,
                    unit=unit,
                    unit_decimals=decimals,
                    tax_rate="13%",
                    list_price=str(list_price),
                    floor_price=str((list_price * Decimal("0.85")).quantize(Decimal("0.01"))),
                    barcode=ean13(seq),
                    category=categories[code],
                    brand=brand,
                    units=[{"unit": u, "rate_to_base": str(rate)} for u, rate in packs],
                )
            )
        return products

    # --- warehouses and stock ---------------------------------------------------------------------

    def _stock(self, rng: random.Random, admin: User, products: list[Product]) -> None:
        warehouses = {w.code: w for w in Warehouse.objects.all()}
        fresh = []
        for code, name, address in WAREHOUSES:
            if code not in warehouses:
                warehouses[code] = create_warehouse(by=admin, code=code, name=name, address=address)
                fresh.append(code)
        if not fresh or not products:
            return
        for index, code in enumerate(fresh):
            warehouse = warehouses[code]
            share = products if code == "SZ01" else [p for p in products if rng.random() < 0.5]
            lines = []
            for product in share:
                qty = Decimal(rng.choice((20, 50, 80, 120, 200, 500, 1000)))
                if product.unit_decimals:
                    qty += Decimal(rng.randint(0, 9)) / 10
                lines.append({"product": product, "qty": str(qty)})
            if lines:
                receive_stock(
                    by=admin,
                    warehouse=warehouse,
                    lines=lines,
                    reference=f"RK-DEMO-{index + 1:03d}",
                    note="期初入库",
                )
        # A few products below their safety stock, so the workbench has something to show.
        main = warehouses["SZ01"]
        for product in products[:: max(1, len(products) // 8)][:8]:
            set_safety_stock(by=admin, product=product, warehouse=main, qty="2000")


# --- a living business: price lists and orders in every state -------------------------------------

ORDER_KEY = "seed-demo-"  # idempotency-key prefix that marks the demo orders (one run loads them once)

# (scenario, age in working days). The first fifteen cover every state, so a small --orders still does.
ORDER_MIX: tuple[tuple[str, int], ...] = (
    ("in_progress", 4),
    ("awaiting_customer", 3),
    ("delivered", 14),
    ("draft", 0),
    ("below_floor", 1),
    ("partial", 5),
    ("blocked", 5),
    ("late", 6),
    ("on_hold", 5),
    ("cancelled", 8),
    ("closed_short", 15),
    ("in_transit", 4),
    ("just_confirmed", 1),
    ("change_pending", 3),
    ("customer_change", 2),
    ("draft", 1),
    ("in_progress", 3),
    ("delivered", 12),
    ("awaiting_customer", 0),
    ("partial", 4),
    ("awaiting_approval", 0),
    ("delivered", 11),
    ("in_progress", 4),
    ("draft", 2),
    ("in_transit", 5),
    ("just_confirmed", 0),
    ("cancelled", 3),
    ("delivered", 13),
    ("delivered", 10),
    ("awaiting_customer", 1),
)
# Made to order (预订/按单生产): the plan has a real production step of several days.
MADE_TO_ORDER = {"in_progress", "blocked"}

# Which demo user is the default owner of template steps in each department (SALES steps: the order owner).
STEP_OWNERS = {"PLAN": "planner", "PROD": "planner", "QC": "planner", "WH": "warehouse", "FIN": "finance"}

# (working-day offset from the order's first day, time of day, action, argument); the standard plan
# puts 备料 on the day after entry, 质检 the next day, 发货 the day after, 签收 over two days, then 开票.
Event = tuple[int, str, str, str]
_CONFIRM: tuple[Event, ...] = (
    (0, "09:30", "create", ""),
    (0, "10:05", "submit", ""),
    (0, "11:20", "approve", ""),
    (0, "14:10", "send_link", ""),
    (1, "09:15", "customer_confirms", ""),
    (1, "10:00", "confirm", ""),
)
_READY: tuple[Event, ...] = (
    *_CONFIRM,
    (1, "10:30", "start", "prepare"),
    (1, "16:30", "finish", "prepare"),
    (2, "09:30", "start", "inspect"),
    (2, "15:00", "finish", "inspect"),
    (3, "09:00", "start", "ship"),
)
_SHIPPED: tuple[Event, ...] = (
    *_READY,
    (3, "14:00", "ship", "all"),
    (3, "16:00", "finish", "ship"),
    (3, "16:05", "start", "sign"),
    (3, "19:30", "track", "picked"),
    (4, "07:40", "track", "transit"),
)
_PRODUCING: tuple[Event, ...] = (
    *_CONFIRM,
    (1, "10:30", "start", "prepare"),
    (2, "16:00", "finish", "prepare"),
    (3, "09:00", "start", "produce"),
)
SCENARIOS: dict[str, tuple[Event, ...]] = {
    "draft": ((0, "09:30", "create", ""),),
    "below_floor": ((0, "09:30", "create", "below_floor"), (0, "10:05", "submit", "")),
    "awaiting_approval": ((0, "09:30", "create", "discount"), (0, "10:05", "submit", "")),
    "awaiting_customer": _CONFIRM[:4],
    "customer_change": (*_CONFIRM[:4], (1, "09:40", "customer_asks_change", "")),
    "cancelled": (*_CONFIRM[:4], (1, "15:00", "cancel", "")),
    "just_confirmed": _CONFIRM,
    "in_progress": (*_PRODUCING, (3, "15:00", "comment", "")),
    "blocked": (
        *_PRODUCING,
        (4, "09:20", "block", "produce"),
        (4, "09:40", "exception", "delay"),
        (4, "10:10", "comment", ""),
    ),
    "late": (*_CONFIRM, (1, "10:30", "start", "prepare")),
    "on_hold": (*_READY[:8], (2, "09:00", "hold", "")),
    "change_pending": (*_READY[:9], (2, "14:00", "request_change", "")),
    "partial": (
        *_READY,
        (3, "14:00", "ship", "part"),
        (3, "19:30", "track", "picked"),
        (4, "07:40", "track", "transit"),
    ),
    "in_transit": _SHIPPED,
    "delivered": (
        *_SHIPPED,
        (4, "10:20", "track", "out"),
        (4, "14:30", "sign", ""),
        (4, "15:00", "finish", "sign"),
        (6, "10:00", "start", "invoice"),
        (6, "16:00", "finish", "invoice"),
        (7, "10:00", "start", "collect"),
        (8, "15:30", "finish", "collect"),
    ),
    "closed_short": (
        *_READY,
        (3, "14:00", "ship", "part"),
        (3, "19:30", "track", "picked"),
        (4, "07:40", "track", "transit"),
        (4, "11:00", "sign", ""),
        (4, "14:00", "exception", "logistics"),
        (5, "10:00", "close", ""),
    ),
}
TRACKING = {
    "picked": ("深圳市宝安区", "顺丰速运 已收取快件"),
    "transit": ("广州转运中心", "快件已发车，正在运往目的地"),
    "out": ("目的地营业点", "快件正在派送中，派送员：李师傅"),
}


def _moment(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@contextmanager
def demo_clock(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``moment``: dates, numbers, plans and the timeline stay consistent."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


@dataclass
class DemoOrder:
    index: int
    scenario: str
    owner: User
    customer: Customer
    lines: list[dict[str, Any]]
    po: str
    requested_days: int
    order: SalesOrder | None = None
    link: str = ""
    shipments: list[Shipment] = field(default_factory=list)


class DemoBusiness:
    """Price lists, then orders played out over the last three weeks through the real services."""

    def __init__(self, *, rng: random.Random, users: dict[str, User], products: list[Product]) -> None:
        self.rng = rng
        self.users = users
        self.products = products
        self.cal = WorkCalendar()
        self.now = timezone.now()
        today = timezone.localdate(self.now)
        self.base = today if self.cal.is_workday(today) else self.cal.add_workdays(today, -1)

    # --- setup ------------------------------------------------------------------------------------

    def assign_step_owners(self) -> None:
        """Give each template step without a default owner the demo user of its department."""
        admin = self.users["admin"]
        for step in PlanTemplateStep.objects.select_related("department").filter(default_owner__isnull=True):
            username = STEP_OWNERS.get(step.department.code)
            if username is None:
                continue
            owner = self.users[username]
            PlanTemplateStep.objects.filter(pk=step.pk).update(default_owner=owner)
            shared_cache.changed()  # an update() sends no signal: drop the processes' template copies
            record_audit(
                action="plan_template.step_owner",
                by=admin,
                obj=step,
                data={"template": step.template_id, "step": step.code, "default_owner": owner.username},
            )

    def price_lists(self, customers: list[Customer]) -> dict[str, list[Product]]:
        """One customer agreement, one promotion running now, one quantity-tier list (made by the manager)."""
        manager = self.users["manager"]
        chosen = {
            "agreement": self.products[0:3],
            "promotion": self.products[3:6],
            "tier": self.products[6:8],
        }
        if PriceList.objects.filter(code__startswith="DEMO-").exists() or len(self.products) < 8:
            return chosen if len(self.products) >= 8 else {}
        start = self.cal.add_workdays(self.base, -16)

        def price(product: Product, rate: str) -> str:
            return str((product.list_price * Decimal(rate)).quantize(Decimal("0.01")))

        with demo_clock(_moment(start, "09:00")):
            create_price_list(
                by=manager,
                data={
                    "code": "DEMO-XY-001",
                    "name": f"{customers[0].name} 年度协议价",
                    "kind": PriceList.Kind.AGREEMENT,
                    "customer": customers[0],
                    "valid_from": start.replace(month=1, day=1).isoformat(),
                    "valid_to": start.replace(month=12, day=31).isoformat(),
                },
                items=[{"product": p.sku, "unit_price": price(p, "0.92")} for p in chosen["agreement"]],
            )
            create_price_list(
                by=manager,
                data={
                    "code": "DEMO-CX-001",
                    "name": "双十一工业品促销",
                    "kind": PriceList.Kind.PROMOTION,
                    "valid_from": start.isoformat(),
                    "valid_to": (self.base + dt.timedelta(days=10)).isoformat(),
                },
                items=[{"product": p.sku, "unit_price": price(p, "0.90")} for p in chosen["promotion"]],
            )
            create_price_list(
                by=manager,
                data={"code": "DEMO-JT-001", "name": "批量阶梯价", "kind": PriceList.Kind.TIER},
                items=[
                    {"product": p.sku, "min_qty": qty, "unit_price": price(p, rate)}
                    for p in chosen["tier"]
                    for qty, rate in (("50", "0.95"), ("100", "0.90"))
                ],
            )
        return chosen

    # --- orders -----------------------------------------------------------------------------------

    def plan_orders(self, count: int, priced: dict[str, list[Product]]) -> list[DemoOrder]:
        rng = self.rng
        sellers = [self.users["sales1"], self.users["sales2"]]
        by_owner = {
            u.pk: list(Customer.objects.filter(owner=u, status=Customer.Status.ACTIVE).order_by("pk"))
            for u in sellers
        }
        main = Warehouse.objects.get(code="SZ01")
        available: dict[int, Decimal] = {
            level.product_id: level.available_qty
            for level in get_stock(warehouse=main)
            if level.safety_qty == 0 and level.available_qty > 0
        }
        pool = [p for p in self.products if available.get(p.pk, 0) >= 30] or self.products
        agreement_customer = Customer.objects.filter(price_lists__code="DEMO-XY-001").first()
        planned: list[DemoOrder] = []
        for index in range(count):
            scenario, age = ORDER_MIX[index % len(ORDER_MIX)]
            if index >= len(ORDER_MIX):
                age = min(15, age + rng.randint(0, 2))
            seller = sellers[index % 2]
            # Payment terms up to 30 days keep every 收款 step inside the years the holiday calendar covers.
            own = by_owner[seller.pk]
            customers = [c for c in own if (c.payment_term_days or 0) <= 30] or own
            customer = rng.choice(customers)
            picks: list[Product] = rng.sample(pool, k=min(len(pool), rng.choice((1, 2, 2, 3, 4))))
            if agreement_customer is not None and agreement_customer.owner_id == seller.pk and index % 5 == 0:
                customer = agreement_customer
                picks = [*priced["agreement"][:1], *picks[:2]]
            elif priced and index % 4 == 1:
                picks = [rng.choice(priced["promotion"]), *picks[:2]]
            lines: list[dict[str, Any]] = []
            for product in dict.fromkeys(picks):
                room = available.get(product.pk, Decimal(0))
                qty = Decimal(rng.choice((10, 20, 30, 50, 60, 100)))
                if product.list_price < 20:  # cheap parts are bought by the box
                    qty *= rng.choice((5, 10))
                if priced and product in priced.get("tier", []):
                    qty = Decimal(rng.choice((50, 60, 100, 120)))
                qty = min(qty, (room / 3).to_integral_value(rounding=ROUND_FLOOR))
                if qty < 1:
                    continue
                available[product.pk] = room - qty
                lines.append({"product": product, "qty": qty})
            if not lines:
                fallback = max(pool, key=lambda p: available.get(p.pk, Decimal(0)))
                lines.append({"product": fallback, "qty": Decimal(1)})
            day = self.cal.add_workdays(self.base, -age)
            po = f"CG{day:%y%m%d}-{rng.randint(10, 99)}{index:02d}"
            planned.append(
                DemoOrder(index, scenario, seller, customer, lines, po, requested_days=rng.randint(12, 25))
            )
        return planned

    def play(self, orders: list[DemoOrder]) -> None:
        """Run every order's events in time order, each under the demo clock at its moment."""
        timeline: list[tuple[dt.datetime, int, int, DemoOrder, str, str]] = []
        for demo in orders:
            _scenario, age = ORDER_MIX[demo.index % len(ORDER_MIX)]
            first = self.cal.add_workdays(self.base, -age)
            for n, (offset, hhmm, action, arg) in enumerate(SCENARIOS[demo.scenario]):
                day = self.cal.add_workdays(first, offset)
                timeline.append((_moment(day, hhmm), demo.index, n, demo, action, arg))
        timeline.sort(key=lambda item: (item[0], item[1], item[2]))
        latest = self.now - dt.timedelta(minutes=5)
        for moment, _i, _n, demo, action, arg in timeline:
            if demo.order is None and action != "create":
                continue
            with demo_clock(min(moment, latest)):
                getattr(self, f"_do_{action}")(demo, arg)

    def _refresh(self, demo: DemoOrder) -> SalesOrder:
        assert demo.order is not None
        demo.order = SalesOrder.objects.get(pk=demo.order.pk)
        return demo.order

    def _step(self, demo: DemoOrder, code: str) -> PlanStep | None:
        return PlanStep.objects.select_related("owner").filter(order=demo.order, code=code).first()

    def _do_create(self, demo: DemoOrder, variant: str) -> None:
        lines = [dict(line) for line in demo.lines]
        if variant == "below_floor":
            product = lines[0]["product"]
            lines[0]["unit_price"] = str((product.floor_price * Decimal("0.9")).quantize(Decimal("0.01")))
        elif variant == "discount":
            lines[0]["discount_rate"] = "0.15"
        demo.order = create_order(
            by=demo.owner,
            customer=demo.customer,
            lines=lines,
            customer_po=demo.po,
            order_type="preorder" if demo.scenario in MADE_TO_ORDER else "standard",
            requested_date=timezone.localdate() + dt.timedelta(days=demo.requested_days),
            remark=self.rng.choice(
                ("", "", "请随货附送货单和合格证", "送货前请提前一天电话联系", "周六不收货")
            ),
            idempotency_key=f"{ORDER_KEY}{demo.index:04d}",
            acknowledge_duplicate=True,
        )

    def _do_submit(self, demo: DemoOrder, _arg: str) -> None:
        demo.order = submit_order(order=self._refresh(demo), by=demo.owner)

    def _do_approve(self, demo: DemoOrder, _arg: str) -> None:
        order = self._refresh(demo)
        if order.approval_status == ApprovalStatus.PENDING:
            demo.order = approve_order(order=order, by=self.users["manager"], comment="同意，注意回款。")

    def _do_send_link(self, demo: DemoOrder, _arg: str) -> None:
        demo.link = send_confirmation(order=self._refresh(demo), by=demo.owner)

    def _token(self, demo: DemoOrder) -> str:
        return demo.link.strip("/").split("/")[-1]

    def _do_customer_confirms(self, demo: DemoOrder, _arg: str) -> None:
        if demo.index % 3 == 0:
            demo.order = record_customer_confirmation(
                order=self._refresh(demo), by=demo.owner, note="客户采购经理电话确认，盖章回传件已存档"
            )
        else:
            demo.order = customer_confirm(token=self._token(demo), ip="113.98.1.20")

    def _do_customer_asks_change(self, demo: DemoOrder, _arg: str) -> None:
        get_order_for_customer(token=self._token(demo), ip="113.98.1.21")
        demo.order = customer_request_change(
            token=self._token(demo), message="交货日期请推迟到月底，数量不变。", ip="113.98.1.21"
        )

    def _do_confirm(self, demo: DemoOrder, _arg: str) -> None:
        demo.order = run_order_action(order=self._refresh(demo), action="confirm", by=demo.owner)

    def _actor(self, demo: DemoOrder, step: PlanStep) -> User:
        return step.owner if step.owner is not None and step.owner.is_active else demo.owner

    def _do_start(self, demo: DemoOrder, code: str) -> None:
        step = self._step(demo, code)
        if step is not None and step.status == StepStatus.PENDING:
            start_step(step=step, by=self._actor(demo, step))

    def _do_finish(self, demo: DemoOrder, code: str) -> None:
        step = self._step(demo, code)
        if step is None or step.status in (StepStatus.DONE, StepStatus.SKIPPED):
            return
        if step.status != StepStatus.IN_PROGRESS:
            step = start_step(step=step, by=self._actor(demo, step))
        finish_step(step=step, by=self._actor(demo, step))

    def _do_block(self, demo: DemoOrder, code: str) -> None:
        step = self._step(demo, code)
        if step is not None and step.status in (StepStatus.PENDING, StepStatus.IN_PROGRESS):
            block_step(step=step, by=self._actor(demo, step), reason="等待供应商来料：不锈钢棒材延迟到货")

    def _do_comment(self, demo: DemoOrder, _arg: str) -> None:
        order = self._refresh(demo)
        if demo.scenario == "blocked":
            body = "@planner 客户这边催得紧，来料大概什么时候到？能否先安排部分生产？"
        else:
            body = "@planner 客户问能否提前两天交货，麻烦评估一下生产排期。"
        add_comment(order=order, body=body, by=demo.owner)

    def _do_exception(self, demo: DemoOrder, kind: str) -> None:
        order = self._refresh(demo)
        planner, warehouse = self.users["planner"], self.users["warehouse"]
        if kind == "delay":
            report_exception(
                order=order,
                kind=kind,
                severity="warning",
                title="原材料延迟到货，生产暂停",
                description="供应商通知不锈钢棒材延迟3天到货，生产工序暂停，可能影响交期。",
                owner=planner,
                by=planner,
            )
            return
        exc = report_exception(
            order=order,
            kind=kind,
            severity="critical",
            title="部分货物运输途中外箱破损",
            description="客户签收时发现两箱外包装破损，其中部分货物受潮，客户拒收破损部分。",
            owner=warehouse,
            by=warehouse,
        )
        exc = resolve_exception(
            exception=exc,
            by=warehouse,
            root_cause="外箱仅单层瓦楞纸，长途运输中被挤压；未使用防潮膜。",
            resolution="与客户协商，破损部分不再补发，订单余量关闭；已向承运商索赔。",
            lessons="发往华东的重货一律使用双层瓦楞箱并加防潮膜，贵重件加打木架；发货前拍照留档。",
        )
        article_from_exception(exception=exc, by=warehouse)

    def _do_hold(self, demo: DemoOrder, _arg: str) -> None:
        demo.order = hold_order(order=self._refresh(demo), by=demo.owner, reason="客户资金审批中，暂缓生产")

    def _do_cancel(self, demo: DemoOrder, _arg: str) -> None:
        demo.order = cancel_order(
            order=self._refresh(demo), by=demo.owner, reason="客户项目预算取消，撤销采购"
        )

    def _do_close(self, demo: DemoOrder, _arg: str) -> None:
        demo.order = close_order(
            order=self._refresh(demo), by=demo.owner, reason="客户确认余量不再需要，订单短交关闭"
        )

    def _do_request_change(self, demo: DemoOrder, _arg: str) -> None:
        order = self._refresh(demo)
        line = order.lines.order_by("line_no").first()
        assert line is not None
        request_change(
            order=order,
            changes={
                "lines": [{"line_no": line.line_no, "qty": str(line.qty + max(Decimal(5), line.qty // 2))}]
            },
            reason="客户追加采购数量，交期不变",
            by=demo.owner,
        )

    def _do_ship(self, demo: DemoOrder, how: str) -> None:
        order = self._refresh(demo)
        groups: dict[int, list[dict[str, Any]]] = {}
        lines = list(order.lines.order_by("line_no"))
        for n, line in enumerate(lines):
            qty = line.qty - line.shipped_qty
            # a part shipment: the first line in full and half of the second (half of a lone line)
            if how == "part" and (n > 0 or len(lines) == 1):
                qty = (qty / 2).to_integral_value(rounding=ROUND_FLOOR) if n <= 1 else Decimal(0)
            if qty > 0 and line.warehouse_id is not None:
                groups.setdefault(line.warehouse_id, []).append({"order_line": line, "qty": str(qty)})
        for warehouse_id, shipped in sorted(groups.items()):
            demo.shipments.append(
                create_shipment(
                    order=order,
                    warehouse=warehouse_id,
                    lines=shipped,
                    tracking_number=f"SF{self.rng.randint(10**11, 10**12 - 1)}",
                    by=self.users["warehouse"],
                )
            )

    def _do_track(self, demo: DemoOrder, what: str) -> None:
        location, description = TRACKING[what]
        for shipment in demo.shipments:
            add_tracking_event(
                shipment=shipment,
                occurred_at=timezone.now(),
                description=description,
                location=location,
                source="import",
                by=self.users["warehouse"],
            )

    def _do_sign(self, demo: DemoOrder, _arg: str) -> None:
        order = self._refresh(demo)
        for shipment in demo.shipments:
            sign_shipment(
                shipment=shipment,
                signed_by_name=order.ship_receiver or "前台代收",
                note="货物完好" if demo.scenario == "delivered" else "两箱外包装破损",
                by=self.users["warehouse"],
            )
