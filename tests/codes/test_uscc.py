"""GB 32100 USCC validation: every failure kind, the department table and the placeholder."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc as stdnum_uscc

from pubcredit.codes import (
    NO_CODE_PLACEHOLDER,
    CodeError,
    compute_org_code_check,
    compute_uscc_check,
    is_no_code_placeholder,
    validate_uscc,
)
from pubcredit.codes.uscc import REGISTRATION_DEPARTMENTS, USCC_CHARSET

WORKED_EXAMPLE = "91110000600037341L"  # reference-data.md §5
ORG_CODE = "600037341"  # valid GB 11714 org code (the segment of the worked example)

ADVICE = "（多为前17位有录入错误：请对照原始文书核对整个代码，不要只改最后一位）"


def with_check(first17: str) -> str:
    return first17 + compute_uscc_check(first17)


def error_of(code: str) -> CodeError:
    with pytest.raises(CodeError) as info:
        validate_uscc(code)
    return info.value


def test_worked_example_validates_into_its_parts() -> None:
    info = validate_uscc(WORKED_EXAMPLE)
    assert info.code == WORKED_EXAMPLE
    assert info.registration_department == "9"
    assert info.registration_department_name == "工商"
    assert info.org_type == "1"
    assert info.org_type_name == "企业"
    assert info.region_code == "110000"
    assert info.org_code == ORG_CODE
    assert info.check_character == "L"
    assert info.warnings == ()


def test_check_character_matches_stdnum_and_worked_example() -> None:
    assert compute_uscc_check(WORKED_EXAMPLE[:17]) == "L"
    assert compute_uscc_check("0" * 17) == "0"
    assert stdnum_uscc.calc_check_digit(WORKED_EXAMPLE[:17]) == "L"


def test_org_code_check_of_worked_example() -> None:
    assert compute_org_code_check("60003734") == "1"


@pytest.mark.parametrize(
    ("body", "check"),
    [("00000000", "0"), ("00000001", "9"), ("00000005", "1"), ("10000000", "8"), ("00000700", "X"), ("MA27ABCD", "4")],
)
def test_org_code_check_values_including_x_and_zero(body: str, check: str) -> None:
    # 11 - (sum mod 11): a remainder of 0 gives 11 → "0", a result of 10 → "X".
    assert compute_org_code_check(body) == check


def test_org_code_check_rejects_bad_body() -> None:
    with pytest.raises(ValueError, match="8位"):
        compute_org_code_check("1234567")


def test_input_is_normalised() -> None:
    assert validate_uscc("  91110000600037341l\t").code == WORKED_EXAMPLE
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in WORKED_EXAMPLE)  # ９１１… typed with an IME
    assert validate_uscc(full_width).code == WORKED_EXAMPLE


@pytest.mark.parametrize("code", ["", "   ", "\u3000"])
def test_empty(code: str) -> None:
    err = error_of(code)
    assert err.kind == "empty"
    assert err.position is None
    assert str(err) == "统一社会信用代码为空"


@pytest.mark.parametrize(("code", "length"), [("9133010", 7), (WORKED_EXAMPLE + "0", 19), (WORKED_EXAMPLE[:17], 17)])
def test_length(code: str, length: int) -> None:
    err = error_of(code)
    assert err.kind == "length"
    assert (err.expected, err.got) == ("18", str(length))
    assert err.message == f"统一社会信用代码应为18位，实际为{length}位"
    assert str(err) == err.message


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "-", "中", " "])
def test_character_outside_charset(bad: str) -> None:
    code = WORKED_EXAMPLE[:9] + bad + WORKED_EXAMPLE[10:]
    err = error_of(code)
    assert err.kind == "character"
    assert err.position == 10
    assert err.got == bad
    assert err.message.startswith(f"统一社会信用代码第10位字符“{bad}”不允许")
    assert "I、O、S、V、Z" in err.message


def test_lower_case_forbidden_letter_is_reported_upper_case() -> None:
    err = error_of("91110000600037341o")
    assert (err.kind, err.position, err.got) == ("character", 18, "O")


@pytest.mark.parametrize("department", ["0", "B", "G", "J", "M", "Q", "X"])
def test_registration_department_not_in_table(department: str) -> None:
    err = error_of(with_check(department + "1" + "330106" + ORG_CODE))
    assert err.kind == "registration_department"
    assert err.position == 1
    assert err.got == department
    assert err.expected == "123456789ANY"
    assert err.message == f"第1位登记管理部门代码“{department}”无效，应为 1–9、A、N、Y 之一"


@pytest.mark.parametrize(
    ("department", "org_type"),
    [(department, org_type) for department, (_, types) in REGISTRATION_DEPARTMENTS.items() for org_type in types],
)
def test_every_department_and_org_type_of_the_table_is_accepted(department: str, org_type: str) -> None:
    info = validate_uscc(with_check(department + org_type + "330106" + ORG_CODE))
    assert (info.registration_department, info.org_type) == (department, org_type)
    assert info.warnings == ()


@pytest.mark.parametrize(("department", "name"), [("A", "中央军委改革和编制办公室"), ("N", "农业"), ("Y", "其他")])
def test_letters_a_n_y_accepted_although_stdnum_rejects_them(department: str, name: str) -> None:
    code = with_check(department + "1" + "330106" + ORG_CODE)
    assert not stdnum_uscc.is_valid(code)
    assert validate_uscc(code).registration_department_name == name


@pytest.mark.parametrize(
    ("department", "org_type", "expected", "allowed_text"),
    [
        ("9", "4", "123", "1、2、3"),
        ("9", "9", "123", "1、2、3"),
        ("Y", "2", "1", "1"),
        ("1", "A", "1239", "1、2、3、9"),
    ],
)
def test_org_type_not_allowed_for_department(department: str, org_type: str, expected: str, allowed_text: str) -> None:
    err = error_of(with_check(department + org_type + "330106" + ORG_CODE))
    assert err.kind == "org_type"
    assert err.position == 2
    assert (err.expected, err.got) == (expected, org_type)
    name = REGISTRATION_DEPARTMENTS[department][0]
    assert err.message == (
        f"第2位机构类别代码“{org_type}”不适用于登记管理部门 {department}（{name}），应为 {allowed_text} 之一"
    )


def test_region_must_be_digits() -> None:
    err = error_of(with_check("91" + "33A106" + ORG_CODE))
    assert err.kind == "region"
    assert err.position == 5
    assert err.got == "33A106"
    assert err.message == "第3–8位登记管理机关行政区划码应为6位数字，第5位为“A”"


@pytest.mark.parametrize("region", ["990000", "000000", "200000", "830000"])
def test_region_with_unknown_province_is_an_error(region: str) -> None:
    err = error_of(with_check("91" + region + ORG_CODE))
    assert err.kind == "region"
    assert err.position == 3
    assert err.got == region
    assert err.message == f"第3–8位登记管理机关行政区划码“{region}”无效：省级代码“{region[:2]}”不存在"


def test_central_registration_region_is_accepted() -> None:
    assert validate_uscc(with_check("11" + "100000" + ORG_CODE)).warnings == ()


def test_unknown_county_is_only_a_warning() -> None:
    info = validate_uscc(with_check("91" + "330199" + ORG_CODE))
    assert [w.kind for w in info.warnings] == ["region_unknown"]
    assert "330199" in info.warnings[0].message


@pytest.mark.parametrize(
    ("retired", "current"), [("330103", "330105"), ("330104", "330102"), ("330183", "330111"), ("330185", "330112")]
)
def test_retired_hangzhou_region_is_accepted_and_mapped(retired: str, current: str) -> None:
    info = validate_uscc(with_check("91" + retired + ORG_CODE))
    assert info.region_code == retired
    assert info.current_region_code == current
    assert info.warnings == ()


@pytest.mark.parametrize("region", ["330100", "330000", "330113", "330114", "330200", "110105", "441900"])
def test_known_regions_give_no_warning(region: str) -> None:
    assert validate_uscc(with_check("91" + region + ORG_CODE)).warnings == ()


def test_check_character_mismatch() -> None:
    err = error_of("91110000600037341X")
    assert err.kind == "check_character"
    assert err.position == 18
    assert (err.expected, err.got) == ("L", "X")
    assert err.message == "第18位校验码应为 L，实际为 X" + ADVICE
    assert str(err) == "第18位校验码应为 L，实际为 X" + ADVICE


def test_failing_org_code_check_is_only_a_warning() -> None:
    info = validate_uscc(with_check("91" + "330106" + "600037342"))
    assert [w.kind for w in info.warnings] == ["org_code_check"]
    assert "第17位应为 1，实际为 2" in info.warnings[0].message
    assert str(info.warnings[0]) == info.warnings[0].message


def test_placeholder_is_recognised_and_not_valid() -> None:
    assert is_no_code_placeholder(NO_CODE_PLACEHOLDER)
    assert is_no_code_placeholder(" 00000000000000000x ")
    assert not is_no_code_placeholder(WORKED_EXAMPLE)
    assert not is_no_code_placeholder("000000000000000000")
    # Its check character does not compute (reference-data.md §1.1) ...
    assert compute_uscc_check(NO_CODE_PLACEHOLDER[:17]) != NO_CODE_PLACEHOLDER[17]
    # ... so the validator names it instead of reporting a confusing department error.
    err = error_of("00000000000000000x")
    assert err.kind == "placeholder"
    assert "工商注册号" in err.message


def test_compute_check_rejects_bad_input() -> None:
    with pytest.raises(CodeError) as info:
        compute_uscc_check("9111")
    assert info.value.kind == "length"
    with pytest.raises(CodeError) as info:
        compute_uscc_check("9111000060003734I")
    assert (info.value.kind, info.value.position) == ("character", 17)


def test_charset_has_31_characters_without_i_o_s_v_z() -> None:
    assert len(USCC_CHARSET) == 31
    assert not set("IOSVZ") & set(USCC_CHARSET)


def test_code_error_is_a_value_error_with_useful_repr() -> None:
    err = error_of("91110000600037341X")
    assert isinstance(err, ValueError)
    assert repr(err) == "CodeError(kind='check_character', position=18, expected='L', got='X')"
