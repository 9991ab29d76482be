"""Synthetic codes, and properties of both validators over them (hypothesis)."""

from __future__ import annotations

import contextlib
import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric

from pubcredit.codes import (
    CodeError,
    compute_org_code_check,
    compute_resident_id_check,
    make_org_code,
    make_resident_id,
    make_uscc,
    validate_resident_id,
    validate_uscc,
)
from pubcredit.codes.regions import HANGZHOU_CODES, PROVINCES
from pubcredit.codes.uscc import REGISTRATION_DEPARTMENTS, USCC_CHARSET

TODAY = date(2025, 6, 1)

rngs = st.integers(min_value=0, max_value=2**32 - 1).map(random.Random)
department_types = st.sampled_from(
    [(department, org_type) for department, (_, types) in REGISTRATION_DEPARTMENTS.items() for org_type in types]
)
regions = st.sampled_from(sorted(HANGZHOU_CODES) + [f"{p}0000" for p in PROVINCES] + ["330200", "110105"])
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sexes = st.sampled_from(["M", "F"])


@st.composite
def usccs(draw: st.DrawFn) -> str:
    department, org_type = draw(department_types)
    return make_uscc(draw(rngs), region_code=draw(regions), department=department, org_type=org_type)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    return make_resident_id(draw(rngs), region_code=draw(regions), birth_date=draw(birth_dates), sex=draw(sexes))


def test_synth_is_reproducible_from_the_seed() -> None:
    assert make_uscc(random.Random(5)) == make_uscc(random.Random(5))
    assert make_resident_id(random.Random(5)) == make_resident_id(random.Random(5))


def test_synth_rejects_parameters_the_standard_does_not_allow() -> None:
    with pytest.raises(CodeError) as info:
        make_uscc(random.Random(1), department="9", org_type="9")
    assert info.value.kind == "org_type"
    with pytest.raises(CodeError) as info:
        make_resident_id(random.Random(1), region_code="990000", birth_date=date(1990, 1, 1), sex="M")
    assert info.value.kind == "region"
    with pytest.raises(ValueError, match="sex"):
        make_resident_id(random.Random(1), birth_date=date(1990, 1, 1), sex="X")
    with pytest.raises(ValueError, match="1900"):
        make_resident_id(random.Random(1), birth_date=date(1899, 1, 1), sex="M")


@given(department_types, regions, rngs)
def test_any_synthetic_uscc_validates_cleanly(
    department_type: tuple[str, str], region: str, rng: random.Random
) -> None:
    department, org_type = department_type
    info = validate_uscc(make_uscc(rng, region_code=region, department=department, org_type=org_type))
    assert (info.registration_department, info.org_type, info.region_code) == (department, org_type, region)
    assert info.warnings == ()  # known region, valid GB 11714 org code


@given(rngs)
def test_synthetic_org_codes_pass_gb_11714(rng: random.Random) -> None:
    org_code = make_org_code(rng)
    assert len(org_code) == 9
    assert compute_org_code_check(org_code[:8]) == org_code[8]


@given(regions, birth_dates, sexes, rngs)
def test_any_synthetic_resident_id_validates(region: str, birth: date, sex: str, rng: random.Random) -> None:
    code = make_resident_id(rng, region_code=region, birth_date=birth, sex=sex)
    info = validate_resident_id(code, today=TODAY)
    assert (info.region_code, info.birth_date, info.sex) == (region, birth, sex)
    assert code[14:17] != "000"


@given(usccs(), st.integers(min_value=0, max_value=17), st.data())
def test_any_single_character_change_of_a_uscc_is_rejected(code: str, index: int, data: st.DataObject) -> None:
    replacement = data.draw(st.sampled_from([ch for ch in USCC_CHARSET if ch != code[index]]))
    with pytest.raises(CodeError):
        validate_uscc(code[:index] + replacement + code[index + 1 :])


@given(resident_ids(), st.integers(min_value=0, max_value=17), st.data())
def test_any_single_character_change_of_a_resident_id_is_rejected(code: str, index: int, data: st.DataObject) -> None:
    allowed = "0123456789X" if index == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([ch for ch in allowed if ch != code[index]]))
    with pytest.raises(CodeError):
        validate_resident_id(code[:index] + replacement + code[index + 1 :], today=TODAY)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_resident_id_check_agrees_with_stdnum(first17: str) -> None:
    assert compute_resident_id_check(first17) == stdnum_ric.calc_check_digit(first17 + "0")


@given(st.text(max_size=30))
def test_validators_raise_only_code_errors_on_arbitrary_text(text: str) -> None:
    # Anything other than a CodeError escaping here would become a 500 at the edge.
    for validate in (validate_uscc, lambda value: validate_resident_id(value, today=TODAY)):
        with contextlib.suppress(CodeError):
            validate(text)
