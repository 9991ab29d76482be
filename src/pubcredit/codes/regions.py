"""GB/T 2260 administrative-division codes that the validators and reports need.

We carry the 34 province-level units, Zhejiang's 11 prefectures and every Hangzhou county-level
code, current and retired (reference-data.md §4). Anything finer elsewhere in China is looked up
in python-stdnum's division table, which is good enough to tell "known" from "unknown" but not
current (it lacks, for example, Hangzhou's 2021 districts, hence our own table first).

Retired codes are never invalid: older USCCs keep the region of the registering office at the
time they were issued, and IDs keep the place of first registration for life.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from stdnum import numdb

__all__ = [
    "HANGZHOU_CODE",
    "HANGZHOU_CODES",
    "HANGZHOU_DISTRICTS",
    "HANGZHOU_RETIRED",
    "PROVINCES",
    "ZHEJIANG_PREFECTURES",
    "current_region",
    "hangzhou_district_name",
    "is_known_province",
    "is_known_region",
    "province_name",
    "region_name",
    "zhejiang_prefecture_name",
]

#: GB/T 2260 province-level units, keyed by the first two digits of a region code.
PROVINCES: Mapping[str, str] = MappingProxyType(
    {
        "11": "北京市",
        "12": "天津市",
        "13": "河北省",
        "14": "山西省",
        "15": "内蒙古自治区",
        "21": "辽宁省",
        "22": "吉林省",
        "23": "黑龙江省",
        "31": "上海市",
        "32": "江苏省",
        "33": "浙江省",
        "34": "安徽省",
        "35": "福建省",
        "36": "江西省",
        "37": "山东省",
        "41": "河南省",
        "42": "湖北省",
        "43": "湖南省",
        "44": "广东省",
        "45": "广西壮族自治区",
        "46": "海南省",
        "50": "重庆市",
        "51": "四川省",
        "52": "贵州省",
        "53": "云南省",
        "54": "西藏自治区",
        "61": "陕西省",
        "62": "甘肃省",
        "63": "青海省",
        "64": "宁夏回族自治区",
        "65": "新疆维吾尔自治区",
        "71": "台湾省",
        "81": "香港特别行政区",
        "82": "澳门特别行政区",
    }
)

#: Zhejiang's prefecture-level units, keyed by their six-digit code.
ZHEJIANG_PREFECTURES: Mapping[str, str] = MappingProxyType(
    {
        "330100": "杭州市",
        "330200": "宁波市",
        "330300": "温州市",
        "330400": "嘉兴市",
        "330500": "湖州市",
        "330600": "绍兴市",
        "330700": "金华市",
        "330800": "衢州市",
        "330900": "舟山市",
        "331000": "台州市",
        "331100": "丽水市",
    }
)

HANGZHOU_CODE = "330100"

#: Current Hangzhou county-level units in code order; usable directly as Django ``choices``.
HANGZHOU_DISTRICTS: tuple[tuple[str, str], ...] = (
    ("330102", "上城区"),
    ("330105", "拱墅区"),
    ("330106", "西湖区"),
    ("330108", "滨江区"),
    ("330109", "萧山区"),
    ("330110", "余杭区"),
    ("330111", "富阳区"),
    ("330112", "临安区"),
    ("330113", "临平区"),
    ("330114", "钱塘区"),
    ("330122", "桐庐县"),
    ("330127", "淳安县"),
    ("330182", "建德市"),
)

_HANGZHOU_RETIRED_NAMES = {
    "330103": "下城区",
    "330104": "江干区",
    "330183": "富阳市",
    "330185": "临安市",
}

#: Retired Hangzhou code → the current unit that took over most of it (for reporting).
#: 江干区 went to the new 上城区 except 下沙/白杨 (now 钱塘区); we report it under 上城区.
HANGZHOU_RETIRED: Mapping[str, str] = MappingProxyType(
    {
        "330103": "330105",  # 下城区 → 拱墅区 (2021)
        "330104": "330102",  # 江干区 → 上城区 (2021)
        "330183": "330111",  # 富阳市 → 富阳区
        "330185": "330112",  # 临安市 → 临安区
    }
)

#: Every Hangzhou code we recognise: the city itself, current and retired county-level units.
HANGZHOU_CODES: Mapping[str, str] = MappingProxyType(
    {HANGZHOU_CODE: "杭州市", **dict(HANGZHOU_DISTRICTS), **_HANGZHOU_RETIRED_NAMES}
)

_LOC_DB = numdb.get("cn/loc")


def _is_code6(code6: str) -> bool:
    return len(code6) == 6 and code6.isascii() and code6.isdigit()


def province_name(code6: str) -> str | None:
    """Name of the province-level unit a region code belongs to, or None if unknown."""
    return PROVINCES.get(code6[:2]) if code6[:2].isascii() else None


def is_known_province(code6: str) -> bool:
    """True when the first two digits are one of the 34 province-level units."""
    return province_name(code6) is not None


def zhejiang_prefecture_name(code6: str) -> str | None:
    """Name of the Zhejiang prefecture a region code belongs to, or None."""
    if not _is_code6(code6):
        return None
    return ZHEJIANG_PREFECTURES.get(code6[:4] + "00")


def hangzhou_district_name(code6: str) -> str | None:
    """Name of a Hangzhou county-level unit (current or retired) or of the city (330100)."""
    return HANGZHOU_CODES.get(code6)


def current_region(code6: str) -> str:
    """Map a retired Hangzhou code to its successor; any other code is returned unchanged."""
    return HANGZHOU_RETIRED.get(code6, code6)


def is_known_region(code6: str) -> bool:
    """True when the six digits name a real (current or historical) division.

    Our own tables decide for provinces, Zhejiang prefectures and Hangzhou; finer units
    elsewhere are looked up in python-stdnum's historical division table.
    """
    if not _is_code6(code6) or not is_known_province(code6):
        return False
    if code6 in HANGZHOU_CODES or code6 in ZHEJIANG_PREFECTURES or code6.endswith("0000"):
        return True
    return any("county" in props for _part, props in _LOC_DB.info(code6)[1:])


def region_name(code6: str) -> str | None:
    """Full display name as far as our tables know it (e.g. ``浙江省杭州市西湖区``), else None."""
    province = province_name(code6) if _is_code6(code6) else None
    if province is None:
        return None
    if code6.endswith("0000"):
        return province
    prefecture = zhejiang_prefecture_name(code6)
    if prefecture is None:
        return None
    if code6.endswith("00"):
        return province + prefecture
    district = hangzhou_district_name(code6)
    return province + prefecture + district if district is not None else None
