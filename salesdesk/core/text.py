"""Text normalisation for Chinese input: full-width forms, pinyin search keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FULLWIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TABLE[0x3000] = 0x20  # ideographic space


def to_halfwidth(value: str) -> str:
    """Turn full-width digits, letters and punctuation (IME output such as ``１２３``) into ASCII."""
    return value.translate(_FULLWIDTH_TABLE)


def normalize_company_name(value: str) -> str:
    """Clean a registered name: trim, fold inner spaces, full-width brackets kept (invoice title)."""
    value = unicodedata.normalize("NFC", value).strip()
    value = re.sub(r"\s+", " ", value)
    return value.replace("(", "（").replace(")", "）")


def name_match_key(value: str) -> str:
    """Key for duplicate detection: brackets unified, whitespace removed, case folded (§1.6)."""
    value = to_halfwidth(value)
    value = re.sub(r"\s+", "", value)
    return value.replace("（", "(").replace("）", ")").casefold()


@lru_cache(maxsize=4096)
def pinyin_keys(value: str) -> tuple[str, str]:
    """Return (initials, full pinyin) for search, e.g. 深圳华为 → ("SZHW", "shenzhenhuawei")."""
    from pypinyin import Style, lazy_pinyin

    initials = "".join(lazy_pinyin(value, style=Style.FIRST_LETTER, errors="default"))
    full = "".join(lazy_pinyin(value, errors="default"))
    initials = re.sub(r"[^0-9A-Za-z]", "", initials).upper()
    full = re.sub(r"[^0-9A-Za-z]", "", full).lower()
    return initials, full
