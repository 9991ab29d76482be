"""GB 32100-2015 unified social credit code (统一社会信用代码), reference-data.md §5.

python-stdnum does the mod-31 check arithmetic; the structure rules are ours, because stdnum
rejects department letters the standard allows (A, N, Y) and does not know the org-type table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from stdnum.cn import uscc as _stdnum_uscc

from .errors import CodeError, CodeWarning
from .regions import current_region, is_known_province, is_known_region

__all__ = [
    "CENTRAL_REGION_CODE",
    "NO_CODE_PLACEHOLDER",
    "REGISTRATION_DEPARTMENTS",
    "USCC_CHARSET",
    "UsccInfo",
    "compute_org_code_check",
    "compute_uscc_check",
    "is_no_code_placeholder",
    "validate_uscc",
]

#: The 31 characters of GB 32100; I, O, S, V and Z are never used.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Filled in for a 个体工商户 without a USCC in the 双公示 format (§1.1); its check character
#: does not compute, so it is special-cased and the 工商注册号 becomes required instead.
NO_CODE_PLACEHOLDER = "00000000000000000X"

#: Region segment used by bodies registered at national level (e.g. central organs). Not a
#: GB/T 2260 province, but it occurs in real codes, so it is accepted (practice unverified).
CENTRAL_REGION_CODE = "100000"

#: Position 1 (登记管理部门) → (name, {position 2 机构类别 → name}), reference-data.md §5.
REGISTRATION_DEPARTMENTS: Mapping[str, tuple[str, Mapping[str, str]]] = MappingProxyType(
    {
        "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
        "2": ("外交", {"1": "外国常住新闻机构", "9": "其他"}),
        "3": (
            "司法行政",
            {
                "1": "律师执业机构",
                "2": "公证处",
                "3": "基层法律服务所",
                "4": "司法鉴定机构",
                "5": "仲裁委员会",
                "9": "其他",
            },
        ),
        "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
        "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
        "6": (
            "旅游",
            {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
        ),
        "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
        "8": ("工会", {"1": "基层工会", "9": "其他"}),
        "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
        "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
        "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
        "Y": ("其他", {"1": "其他"}),
    }
)

# GB 11714 organisation-code check: weights for the first 8 characters, modulus 11.
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_VALUES = {ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


@dataclass(frozen=True, slots=True)
class UsccInfo:
    """A valid USCC, split into its parts (``code`` is normalised: NFKC, stripped, upper-case)."""

    code: str
    registration_department: str
    org_type: str
    region_code: str
    org_code: str
    warnings: tuple[CodeWarning, ...] = ()

    @property
    def registration_department_name(self) -> str:
        return REGISTRATION_DEPARTMENTS[self.registration_department][0]

    @property
    def org_type_name(self) -> str:
        return REGISTRATION_DEPARTMENTS[self.registration_department][1][self.org_type]

    @property
    def check_character(self) -> str:
        return self.code[17]

    @property
    def current_region_code(self) -> str:
        """Region for reporting: a retired Hangzhou code is mapped to its successor."""
        return current_region(self.region_code)


def _normalise(code: str) -> str:
    # NFKC folds full-width digits and letters typed with Chinese input methods.
    return unicodedata.normalize("NFKC", code).strip().upper()


def _check_charset(value: str, what: str) -> None:
    for position, ch in enumerate(value, start=1):
        if ch not in USCC_CHARSET:
            raise CodeError(
                "character",
                f"{what}第{position}位字符“{ch}”不允许：只能使用数字和大写字母（不使用 I、O、S、V、Z）",
                position=position,
                got=ch,
            )


def compute_uscc_check(first17: str) -> str:
    """Check character (position 18) for the first 17 characters of a USCC.

    Raises CodeError (``length`` or ``character``) if ``first17`` cannot be part of a USCC.
    """
    value = _normalise(first17)
    if len(value) != 17:
        raise CodeError("length", f"计算校验码需要前17位，实际为{len(value)}位", expected="17", got=str(len(value)))
    _check_charset(value, "")
    check: str = _stdnum_uscc.calc_check_digit(value)
    return check


def compute_org_code_check(first8: str) -> str:
    """GB 11714 check character (``0``–``9`` or ``X``) for the 8-character body of an org code."""
    if len(first8) != 8 or any(ch not in _ORG_CODE_VALUES for ch in first8):
        raise ValueError(f"组织机构代码本体应为8位数字或大写字母，实际为“{first8}”")
    remainder = 11 - sum(_ORG_CODE_VALUES[ch] * w for ch, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def is_no_code_placeholder(code: str) -> bool:
    """True for the 双公示 "no USCC" placeholder ``00000000000000000X`` (any case, padded)."""
    return _normalise(code) == NO_CODE_PLACEHOLDER


def validate_uscc(code: str) -> UsccInfo:
    """Validate a USCC and return its parts.

    Raises CodeError: ``empty``, ``placeholder`` (callers that accept the 个体工商户 placeholder
    test ``is_no_code_placeholder`` first), ``length``, ``character``,
    ``registration_department``, ``org_type``, ``region`` (not digits, or unknown province),
    ``check_character``. An unknown county or a failing GB 11714 org-code check is only a
    warning; retired region codes are valid.
    """
    value = _normalise(code)
    if not value:
        raise CodeError("empty", "统一社会信用代码为空")
    if value == NO_CODE_PLACEHOLDER:
        raise CodeError(
            "placeholder",
            f"“{NO_CODE_PLACEHOLDER}”是无统一社会信用代码的个体工商户的占位值，不是有效代码，须同时填写工商注册号",
            got=value,
        )
    if len(value) != 18:
        raise CodeError(
            "length",
            f"统一社会信用代码应为18位，实际为{len(value)}位",
            expected="18",
            got=str(len(value)),
        )
    _check_charset(value, "统一社会信用代码")

    department = value[0]
    if department not in REGISTRATION_DEPARTMENTS:
        allowed = "".join(REGISTRATION_DEPARTMENTS)
        raise CodeError(
            "registration_department",
            f"第1位登记管理部门代码“{department}”无效，应为 1–9、A、N、Y 之一",
            position=1,
            expected=allowed,
            got=department,
        )
    department_name, org_types = REGISTRATION_DEPARTMENTS[department]
    org_type = value[1]
    if org_type not in org_types:
        raise CodeError(
            "org_type",
            f"第2位机构类别代码“{org_type}”不适用于登记管理部门 {department}（{department_name}），"
            f"应为 {'、'.join(org_types)} 之一",
            position=2,
            expected="".join(org_types),
            got=org_type,
        )

    region = value[2:8]
    for offset, ch in enumerate(region):
        if not ch.isdigit():
            raise CodeError(
                "region",
                f"第3–8位登记管理机关行政区划码应为6位数字，第{3 + offset}位为“{ch}”",
                position=3 + offset,
                got=region,
            )
    if region != CENTRAL_REGION_CODE and not is_known_province(region):
        raise CodeError(
            "region",
            f"第3–8位登记管理机关行政区划码“{region}”无效：省级代码“{region[:2]}”不存在",
            position=3,
            got=region,
        )

    expected = compute_uscc_check(value[:17])
    if value[17] != expected:
        raise CodeError(
            "check_character",
            f"第18位校验码应为 {expected}，实际为 {value[17]}"
            "（多为前17位有录入错误：请对照原始文书核对整个代码，不要只改最后一位）",
            position=18,
            expected=expected,
            got=value[17],
        )

    warnings: list[CodeWarning] = []
    if region != CENTRAL_REGION_CODE and not is_known_region(region):
        warnings.append(
            CodeWarning("region_unknown", f"第3–8位登记管理机关行政区划码“{region}”不在已知行政区划中，请核对")
        )
    org_code = value[8:17]
    org_check = compute_org_code_check(org_code[:8])
    if org_code[8] != org_check:
        warnings.append(
            CodeWarning(
                "org_code_check",
                f"第9–17位组织机构代码“{org_code}”未通过 GB 11714 校验（第17位应为 {org_check}，"
                f"实际为 {org_code[8]}），请核对",
            )
        )
    return UsccInfo(
        code=value,
        registration_department=department,
        org_type=org_type,
        region_code=region,
        org_code=org_code,
        warnings=tuple(warnings),
    )
