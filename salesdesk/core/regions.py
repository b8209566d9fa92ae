"""Administrative divisions: load the versioned GB/T 2260 dataset and resolve codes to names."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import Region

DATASET = "2023"
DATASET_PATH = Path(__file__).parent / "data" / "gbt2260_2023.csv"
MUNICIPALITY_PROVINCES = frozenset({"11", "12", "31", "50"})


@dataclass(frozen=True)
class RegionPath:
    code: str
    province: str
    city: str
    district: str
    province_code: str
    city_code: str

    @property
    def text(self) -> str:
        """广东省深圳市南山区; a municipality prints its name once (北京市朝阳区)."""
        parts = [self.province]
        if self.city and self.city != self.province:
            parts.append(self.city)
        if self.district:
            parts.append(self.district)
        return "".join(parts)


@transaction.atomic
def load_regions(path: Path = DATASET_PATH, dataset: str = DATASET) -> int:
    """Insert or update every division of the dataset; codes missing from it are marked inactive."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    existing = set(Region.objects.values_list("code", flat=True))
    seen = set()
    for level in (1, 2, 3):
        new: list[Region] = []
        changed: list[Region] = []
        for row in rows:
            if int(row["level"]) != level:
                continue
            seen.add(row["code"])
            region = Region(
                code=row["code"],
                name=row["name"],
                level=level,
                parent_id=row["parent"] or None,
                dataset=dataset,
                is_active=True,
            )
            (changed if row["code"] in existing else new).append(region)
        Region.objects.bulk_create(new, batch_size=1000)
        Region.objects.bulk_update(
            changed, ["name", "level", "parent", "dataset", "is_active"], batch_size=1000
        )
    Region.objects.exclude(code__in=seen).update(is_active=False)
    return len(rows)


def resolve_region(code: str) -> RegionPath | None:
    """Names of a county-level (or 直筒子市 city-level) code, or None if the code is unknown."""
    region = Region.objects.select_related("parent__parent").filter(pk=code).first()
    if region is None or (region.level == Region.Level.PROVINCE and code[:2] not in {"71", "81", "82"}):
        return None
    return region_path(region)


def region_path(region: Region) -> RegionPath:
    if region.level == Region.Level.COUNTY:
        city = region.parent
        province = city.parent if city else None
        assert city is not None
        assert province is not None
        city_name = province.name if city.name == "市辖区" else city.name
        return RegionPath(region.code, province.name, city_name, region.name, province.code, city.code)
    if region.level == Region.Level.CITY:
        province = region.parent
        assert province is not None
        return RegionPath(region.code, province.name, region.name, "", province.code, region.code)
    return RegionPath(region.code, region.name, "", "", region.code, "")


def children_of(code: str | None) -> list[tuple[str, str]]:
    """(code, name) of the divisions under ``code`` (provinces when None), for the cascader."""
    qs = Region.objects.filter(is_active=True)
    qs = qs.filter(parent__isnull=True) if not code else qs.filter(parent_id=code)
    result = []
    for region_code, name in qs.order_by("code").values_list("code", "name"):
        if name == "市辖区" and code:
            name = Region.objects.get(pk=code).name
        result.append((region_code, name))
    return result
