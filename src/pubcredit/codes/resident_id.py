"""GB 11643-1999 citizen identity number (公民身份号码), reference-data.md §5.

stdnum's ``cn.ric`` accepts birth dates in the future and knows nothing of our region rules,
so the structure rules are ours; the check arithmetic is the standard's ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Literal

from .errors import CodeError, CodeWarning
from .masking import mask_resident_id
from .regions import is_known_province, is_known_region

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "RESIDENCE_PERMIT_REGIONS",
    "ResidentIdInfo",
    "compute_resident_id_check",
    "validate_resident_id",
]

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

#: Region segments of 港澳台居民居住证 numbers, which share the ID format (830000 is not GB/T 2260).
RESIDENCE_PERMIT_REGIONS: Mapping[str, str] = MappingProxyType({"810000": "香港", "820000": "澳门", "830000": "台湾"})

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11

Sex = Literal["M", "F"]


@dataclass(frozen=True, slots=True, repr=False)
class ResidentIdInfo:
    """A valid resident ID (``code`` normalised: NFKC, stripped, upper-case ``X``)."""

    code: str
    region_code: str
    birth_date: date
    sex: Sex
    warnings: tuple[CodeWarning, ...] = ()

    def __repr__(self) -> str:
        # The number is personal information: keep it out of logs and tracebacks.
        return f"ResidentIdInfo(code={mask_resident_id(self.code)!r}, region_code={self.region_code!r})"


def compute_resident_id_check(first17: str) -> str:
    """Check character (``0``–``9`` or ``X``) for the first 17 digits of a resident ID.

    Raises CodeError (``length`` or ``character``) if ``first17`` is not 17 ASCII digits.
    """
    if len(first17) != 17:
        raise CodeError("length", f"计算校验码需要前17位，实际为{len(first17)}位", expected="17", got=str(len(first17)))
    if not (first17.isascii() and first17.isdigit()):
        raise CodeError("character", "计算校验码需要前17位均为数字")
    total = sum(int(ch) * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_resident_id(code: str, *, today: date) -> ResidentIdInfo:
    """Validate an 18-character resident ID and return its parts.

    ``today`` is passed in (the caller's clock) so that a birth date after it is rejected.
    Raises CodeError: ``empty``, ``length`` (15-digit IDs must be converted first),
    ``character``, ``region`` (unknown province), ``birth_date`` (not a real date, before
    1900-01-01 or after ``today``), ``check_character``. An unknown county is only a warning.
    """
    value = unicodedata.normalize("NFKC", code).strip().upper()
    if not value:
        raise CodeError("empty", "身份证号码为空")
    if len(value) != 18:
        message = f"身份证号码应为18位，实际为{len(value)}位"
        if len(value) == 15:
            message += "；15位旧号码须先升级为18位（年份前补“19”并加校验码）后再填报"
        raise CodeError("length", message, expected="18", got=str(len(value)))
    for position, ch in enumerate(value, start=1):
        if not (ch.isascii() and ch.isdigit()) and not (position == 18 and ch == "X"):
            allowed = "数字或 X" if position == 18 else "数字"
            raise CodeError("character", f"第{position}位应为{allowed}，实际为“{ch}”", position=position, got=ch)

    warnings: list[CodeWarning] = []
    region = value[:6]
    if region in RESIDENCE_PERMIT_REGIONS:
        warnings.append(
            CodeWarning(
                "residence_permit",
                f"前6位“{region}”表示{RESIDENCE_PERMIT_REGIONS[region]}居民居住证号码，不是居民身份证号码",
            )
        )
    elif not is_known_province(region):
        raise CodeError("region", f"第1–6位地址码“{region}”无效：省级代码“{region[:2]}”不存在", position=1, got=region)
    elif not is_known_region(region):
        warnings.append(CodeWarning("region_unknown", f"第1–6位地址码“{region}”不在已知行政区划中，请核对"))

    birth = value[6:14]
    try:
        birth_date = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        raise CodeError("birth_date", f"第7–14位出生日期“{birth}”不是有效日期", position=7, got=birth) from None
    if birth_date < EARLIEST_BIRTH_DATE:
        raise CodeError(
            "birth_date",
            f"第7–14位出生日期 {birth_date.isoformat()} 早于 {EARLIEST_BIRTH_DATE.isoformat()}",
            position=7,
            got=birth,
        )
    if birth_date > today:
        raise CodeError(
            "birth_date",
            f"第7–14位出生日期 {birth_date.isoformat()} 晚于今天（{today.isoformat()}）",
            position=7,
            got=birth,
        )

    expected = compute_resident_id_check(value[:17])
    if value[17] != expected:
        raise CodeError(
            "check_character",
            f"第18位校验码应为 {expected}，实际为 {value[17]}"
            "（多为前17位有录入错误：请对照原始文书核对整个代码，不要只改最后一位）",
            position=18,
            expected=expected,
            got=value[17],
        )
    sex: Sex = "M" if int(value[16]) % 2 else "F"
    return ResidentIdInfo(code=value, region_code=region, birth_date=birth_date, sex=sex, warnings=tuple(warnings))
