"""Server-side masking of personal information for display and export (DOMAIN.md §9.3)."""

from __future__ import annotations

import re

_COMPOUND = (
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 "
    "皇甫 宗政 濮阳 公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 "
    "子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 "
    "段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲 公上 公门 公山 公坚 "
    "左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 即墨 达奚 "
    "褚师"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND.split(" "))


def mask_mobile(value: str) -> str:
    """138****8000."""
    if len(value) == 11 and value.isdecimal():
        return f"{value[:3]}****{value[-4:]}"
    return mask_generic(value)


def mask_landline(value: str) -> str:
    """0755****3388: area code and the last four digits."""
    match = re.match(r"^(0\d{2,3})-?(\d+)", value)
    if not match:
        return mask_generic(value)
    digits = match.group(2)
    return f"{match.group(1)}****{digits[-4:]}"


def mask_phone(value: str) -> str:
    if not value:
        return value
    return mask_mobile(value) if value.startswith("1") else mask_landline(value)


def mask_name(value: str) -> str:
    """张* / 张** / 欧阳*: keep the surname, compound surnames included."""
    if not value:
        return value
    keep = 2 if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else 1
    return value[:keep] + "*" * max(len(value) - keep, 1)


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return mask_generic(value)
    return f"{local[:1]}***@{domain}"


def mask_id_card(value: str) -> str:
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else mask_generic(value)


def mask_address(region_text: str, detail: str) -> str:
    """Keep province / city / district, hide the street detail."""
    return f"{region_text}****" if detail else region_text


def mask_generic(value: str) -> str:
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]
