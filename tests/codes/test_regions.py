"""GB/T 2260 tables: provinces, Zhejiang prefectures, Hangzhou current and retired codes."""

from __future__ import annotations

import pytest

from pubcredit.codes import regions
from pubcredit.codes.regions import (
    HANGZHOU_DISTRICTS,
    HANGZHOU_RETIRED,
    PROVINCES,
    ZHEJIANG_PREFECTURES,
    current_region,
    hangzhou_district_name,
    is_known_province,
    is_known_region,
    province_name,
    region_name,
    zhejiang_prefecture_name,
)


def test_34_provinces_from_11_to_82() -> None:
    assert len(PROVINCES) == 34
    assert min(PROVINCES) == "11"
    assert max(PROVINCES) == "82"
    assert province_name("330106") == "浙江省"
    assert province_name("820000") == "澳门特别行政区"
    assert province_name("990000") is None
    assert province_name("") is None
    assert is_known_province("710000")
    assert not is_known_province("830000")


def test_zhejiang_prefectures() -> None:
    assert list(ZHEJIANG_PREFECTURES) == [f"33{n:02d}00" for n in range(1, 12)]
    assert zhejiang_prefecture_name("330106") == "杭州市"
    assert zhejiang_prefecture_name("331102") == "丽水市"
    assert zhejiang_prefecture_name("331200") is None
    assert zhejiang_prefecture_name("110105") is None


def test_current_hangzhou_districts_in_order() -> None:
    codes = [code for code, _ in HANGZHOU_DISTRICTS]
    assert codes == sorted(codes)
    assert codes == [
        "330102",
        "330105",
        "330106",
        "330108",
        "330109",
        "330110",
        "330111",
        "330112",
        "330113",
        "330114",
        "330122",
        "330127",
        "330182",
    ]
    assert dict(HANGZHOU_DISTRICTS)["330113"] == "临平区"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("330100", "杭州市"),
        ("330114", "钱塘区"),
        ("330103", "下城区"),
        ("330104", "江干区"),
        ("330183", "富阳市"),
        ("330185", "临安市"),
        ("330199", None),
        ("110105", None),
    ],
)
def test_hangzhou_district_name(code: str, name: str | None) -> None:
    assert hangzhou_district_name(code) == name


def test_retired_codes_map_to_current_districts() -> None:
    current = dict(HANGZHOU_DISTRICTS)
    assert set(HANGZHOU_RETIRED) == {"330103", "330104", "330183", "330185"}
    assert all(successor in current for successor in HANGZHOU_RETIRED.values())
    assert current_region("330103") == "330105"
    assert current_region("330104") == "330102"
    assert current_region("330106") == "330106"
    assert current_region("110105") == "110105"


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("330113", True),
        ("330103", True),
        ("330000", True),
        ("330200", True),
        ("110105", True),
        ("330121", True),
        ("330199", False),
        ("990000", False),
        ("33010", False),
        ("33a106", False),
    ],
)
def test_is_known_region(code: str, known: bool) -> None:
    assert is_known_region(code) is known


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("330106", "浙江省杭州市西湖区"),
        ("330100", "浙江省杭州市"),
        ("330200", "浙江省宁波市"),
        ("330000", "浙江省"),
        ("110000", "北京市"),
        ("110105", None),
        ("330203", None),
        ("990000", None),
    ],
)
def test_region_name(code: str, name: str | None) -> None:
    assert region_name(code) == name


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        regions.PROVINCES["99"] = "x"  # type: ignore[index]
