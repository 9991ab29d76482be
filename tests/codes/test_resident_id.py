"""GB 11643 resident ID validation: every failure kind, dates against a given today."""

from __future__ import annotations

from datetime import date

import pytest

from pubcredit.codes import CodeError, compute_resident_id_check, validate_resident_id

TODAY = date(2025, 6, 1)
STANDARD_EXAMPLE = "11010519491231002X"  # the well-known example: Beijing 朝阳区, 1949-12-31, female

ADVICE = "（多为前17位有录入错误：请对照原始文书核对整个代码，不要只改最后一位）"


def with_check(first17: str) -> str:
    return first17 + compute_resident_id_check(first17)


HANGZHOU_MAN = with_check("33010619900101123")  # sequence ends in 3: male


def error_of(code: str, today: date = TODAY) -> CodeError:
    with pytest.raises(CodeError) as info:
        validate_resident_id(code, today=today)
    return info.value


def test_standard_example_validates() -> None:
    info = validate_resident_id(STANDARD_EXAMPLE, today=TODAY)
    assert info.code == STANDARD_EXAMPLE
    assert info.region_code == "110105"
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "F"
    assert info.warnings == ()


def test_sex_from_odd_sequence_and_lower_case_x_normalised() -> None:
    assert validate_resident_id(HANGZHOU_MAN, today=TODAY).sex == "M"
    assert validate_resident_id(" 11010519491231002x ", today=TODAY).code == STANDARD_EXAMPLE


def test_repr_does_not_reveal_the_number() -> None:
    text = repr(validate_resident_id(STANDARD_EXAMPLE, today=TODAY))
    assert STANDARD_EXAMPLE not in text
    assert "110105********002X" in text


@pytest.mark.parametrize("code", ["", "  "])
def test_empty(code: str) -> None:
    err = error_of(code)
    assert (err.kind, err.position) == ("empty", None)
    assert err.message == "身份证号码为空"


def test_length() -> None:
    err = error_of(HANGZHOU_MAN[:17])
    assert err.kind == "length"
    assert (err.expected, err.got) == ("18", "17")
    assert err.message == "身份证号码应为18位，实际为17位"


def test_fifteen_digit_old_id_must_be_converted() -> None:
    err = error_of("330106900101123")
    assert err.kind == "length"
    assert err.got == "15"
    assert err.message.startswith("身份证号码应为18位，实际为15位；15位旧号码须先升级为18位")


def test_character_in_first_17() -> None:
    err = error_of("3301061990010112X4")
    assert err.kind == "character"
    assert (err.position, err.got) == (17, "X")
    assert err.message == "第17位应为数字，实际为“X”"


def test_character_in_check_position() -> None:
    err = error_of(HANGZHOU_MAN[:17] + "Y")
    assert (err.kind, err.position, err.got) == ("character", 18, "Y")
    assert err.message == "第18位应为数字或 X，实际为“Y”"


@pytest.mark.parametrize("region", ["990106", "000000", "200000"])
def test_region_with_unknown_province_is_an_error(region: str) -> None:
    err = error_of(with_check(region + "19900101123"))
    assert (err.kind, err.position, err.got) == ("region", 1, region)
    assert err.message == f"第1–6位地址码“{region}”无效：省级代码“{region[:2]}”不存在"


def test_unknown_county_is_only_a_warning() -> None:
    info = validate_resident_id(with_check("339999" + "19900101123"), today=TODAY)
    assert [w.kind for w in info.warnings] == ["region_unknown"]


@pytest.mark.parametrize("region", ["330103", "330104", "330183", "330185", "330121"])
def test_retired_regions_are_accepted_without_warning(region: str) -> None:
    # 330121 萧山县 (to 1987) is known only to stdnum's historical table.
    assert validate_resident_id(with_check(region + "19800101123"), today=TODAY).warnings == ()


def test_residence_permit_is_accepted_with_a_warning() -> None:
    info = validate_resident_id(with_check("830000" + "19900101123"), today=TODAY)
    assert [w.kind for w in info.warnings] == ["residence_permit"]
    assert "台湾居民居住证" in info.warnings[0].message


@pytest.mark.parametrize("birth", ["19990230", "19991301", "19990001", "20230229", "19990100"])
def test_impossible_birth_date(birth: str) -> None:
    err = error_of(with_check("330106" + birth + "123"))
    assert (err.kind, err.position, err.got) == ("birth_date", 7, birth)
    assert err.message == f"第7–14位出生日期“{birth}”不是有效日期"


def test_leap_day_is_a_real_date() -> None:
    assert validate_resident_id(with_check("330106" + "20000229" + "123"), today=TODAY).birth_date == date(2000, 2, 29)


def test_birth_date_after_today_is_rejected() -> None:
    err = error_of(with_check("330106" + "20250602" + "123"))
    assert (err.kind, err.position, err.got) == ("birth_date", 7, "20250602")
    assert err.message == "第7–14位出生日期 2025-06-02 晚于今天（2025-06-01）"


def test_birth_date_today_is_accepted() -> None:
    assert validate_resident_id(with_check("330106" + "20250601" + "124"), today=TODAY).sex == "F"


def test_birth_date_before_1900_is_rejected() -> None:
    err = error_of(with_check("330106" + "18991231" + "123"))
    assert (err.kind, err.got) == ("birth_date", "18991231")
    assert err.message == "第7–14位出生日期 1899-12-31 早于 1900-01-01"
    assert validate_resident_id(with_check("330106" + "19000101" + "123"), today=TODAY).birth_date == date(1900, 1, 1)


def test_check_digit_mismatch() -> None:
    wrong = "0" if HANGZHOU_MAN[17] != "0" else "1"
    err = error_of(HANGZHOU_MAN[:17] + wrong)
    assert err.kind == "check_character"
    assert err.position == 18
    assert (err.expected, err.got) == (HANGZHOU_MAN[17], wrong)
    assert err.message == f"第18位校验码应为 {HANGZHOU_MAN[17]}，实际为 {wrong}" + ADVICE


def test_check_x_expected() -> None:
    err = error_of("110105194912310020")
    assert (err.kind, err.expected, err.got) == ("check_character", "X", "0")
    assert err.message == "第18位校验码应为 X，实际为 0" + ADVICE


def test_compute_check_rejects_bad_input() -> None:
    with pytest.raises(CodeError) as info:
        compute_resident_id_check("1101051949")
    assert info.value.kind == "length"
    with pytest.raises(CodeError) as info:
        compute_resident_id_check("1101051949123100A")
    assert info.value.kind == "character"
