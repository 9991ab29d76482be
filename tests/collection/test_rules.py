"""Pure collection rules: field checkers, periods, keys, subject kinds, relations (no database)."""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubcredit.catalog.services import INITIAL_CATALOG_PATH
from pubcredit.codes import CodeError, validate_uscc
from pubcredit.codes.synth import make_uscc
from pubcredit.codes.uscc import USCC_CHARSET
from pubcredit.collection import rules

TODAY = date(2026, 3, 2)


def check(spec: dict[str, object], value: object) -> object:
    return rules.compile_field(spec, today=TODAY)(value)


@pytest.mark.parametrize(("value", "expected"), [("0.2000", "0.2"), ("100", "100"), ("-0.0", "0"), ("１２", "12"),
                                                 (2, "2"), (0.25, "0.25"), ("  3.50 ", "3.5")])
def test_decimals_are_normalised(value: object, expected: str) -> None:
    assert check({"type": "decimal", "max_digits": 18, "decimal_places": 6}, value) == expected


@pytest.mark.parametrize(("value", "expected"), [("2025-03-03", "2025-03-03"), ("2025/3/3", "2025-03-03"),
                                                 ("20250303", "2025-03-03"), ("2025年3月3日", "2025-03-03"),
                                                 (date(2025, 3, 3), "2025-03-03")])
def test_dates_in_common_spellings(value: object, expected: str) -> None:
    assert check({"type": "date"}, value) == expected


@pytest.mark.parametrize(("spec", "value", "words"), [
    ({"type": "date"}, "2025-02-29", "不是有效日期"),
    ({"type": "date"}, "0202-03-03", "0202-03-03 早于 1900-01-01，多为年份录入有误"),  # 2022 mistyped
    ({"type": "date"}, date(202, 3, 3), "早于 1900-01-01"),  # an Excel date cell arrives as a date
    ({"type": "integer"}, "1.5", "应为整数"),
    ({"type": "boolean"}, "也许", "是"),
    ({"type": "enum", "allowed": ["01", "02"]}, "03", "01、02"),
    ({"type": "string", "max_length": 2}, "abc", "不能超过 2 个字符"),
    ({"type": "uscc"}, "91330106MA0AEH7Y1A", "校验码"),
    ({"type": "resident_id"}, "330106198506151235", "校验码"),
    ({"type": "string"}, {"a": 1}, "单个取值"),
])
def test_field_errors_say_what_is_wrong(spec: dict[str, object], value: object, words: str) -> None:
    with pytest.raises(rules.FieldError, match=words):
        check(spec, value)


def test_special_values_and_labels() -> None:
    assert check({"type": "uscc", "special_values": ["00000000000000000X"]}, "00000000000000000x") == \
        "00000000000000000X"
    assert check({"type": "enum", "allowed": ["02"], "allowed_labels": {"02": "罚款"}}, "罚款") == "02"
    assert check({"type": "boolean"}, "是") is True
    assert check({"type": "integer"}, "7.0") == 7


def test_date_pairs_of_the_shipped_catalog() -> None:
    doc = json.loads(INITIAL_CATALOG_PATH.read_text(encoding="utf-8"))
    sets = doc["field_sets"]
    pairs = {}
    for entry in doc["entries"]:
        fields = [g for f in entry["version"]["fields"] for g in (sets[f["include"]] if "include" in f else [f])]
        found = rules.date_pairs(fields)
        if found:
            pairs[entry["code"]] = found
    assert pairs["licensing-scjg"] == [("XK_YXQZ", "XK_YXQZI")]
    assert pairs["org-registration"] == [("operating_from", "operating_to")]
    assert pairs["person-employment"] == [("start_on", "end_on")]
    penalty = next(e for e in doc["entries"] if e["code"] == "penalty-scjg")
    fields = [g for f in penalty["version"]["fields"] for g in (sets[f["include"]] if "include" in f else [f])]
    assert rules.validity_ends(fields, "CF_JDRQ") == ["CF_YXQ", "CF_GSJZQ"]


def test_natural_keys_never_collide_and_stay_in_the_column() -> None:
    assert rules.natural_key_string(["杭罚〔2025〕1号"]) == "杭罚〔2025〕1号"
    assert rules.natural_key_string(["a|b", "c"]) != rules.natural_key_string(["a", "b|c"])
    long_key = rules.natural_key_string(["x" * 200, "y" * 200])
    assert long_key.startswith("sha256:")
    assert len(long_key) <= rules.NATURAL_KEY_MAX


def test_record_hash_covers_the_subject() -> None:
    assert rules.record_hash('{"a":1}', "A") != rules.record_hash('{"a":1}', "B")
    assert rules.canonical_json({"b": 1, "a": "甲"}) == '{"a":"甲","b":1}'


def test_organisation_kinds_from_the_code() -> None:
    rng = random.Random(1)
    assert rules.org_kinds_for_uscc(make_uscc(rng, org_type="2")) == ("unincorporated_org",)
    assert rules.org_kind_for_new_subject(make_uscc(rng), ["legal_person", "unincorporated_org"]) == "legal_person"
    assert rules.org_kind_for_new_subject(make_uscc(rng), ["unincorporated_org"]) == "unincorporated_org"
    assert rules.org_kind_for_new_subject(make_uscc(rng, org_type="2"), ["legal_person"]) is None


def test_relations_read_from_the_schema() -> None:
    officers = [{"name": "uscc"}, {"name": "person_name"}, {"name": "position"}, {"name": "person_id_no"}]
    assert [s.role_field for s in rules.relation_specs(officers, "basic")] == ["position"]
    assert rules.relation_specs(officers, "adverse") == []
    reps = [{"name": "CF_FRDB", "label": "法定代表人"}, {"name": "CF_FR_ZJHM", "label": "法定代表人证件号码"}]
    assert rules.relation_specs(reps, "basic") == [rules.RelationSpec(role="legal_rep", name_field="CF_FRDB",
                                                                      id_field="CF_FR_ZJHM")]


def test_consent_periods() -> None:
    periods = [(date(2025, 1, 1), date(2025, 6, 30)), (date(2026, 1, 1), None)]
    assert rules.consent_valid_on(periods, date(2025, 3, 1))
    assert not rules.consent_valid_on(periods, date(2025, 9, 1))
    assert rules.consent_valid_on(periods, date(2030, 1, 1))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=USCC_CHARSET, min_size=18, max_size=18), st.integers(0, 30))
def test_quick_uscc_accept_never_accepts_what_the_validator_refuses(body: str, check_index: int) -> None:
    code = body[:17] + USCC_CHARSET[check_index]
    if rules.uscc_quick_accept(code):
        validate_uscc(code)  # raises CodeError if the fast path were wrong


def test_quick_uscc_accept_takes_valid_codes() -> None:
    rng = random.Random(7)
    for _ in range(500):
        code = make_uscc(rng, region_code=rng.choice(["330106", "110101", "440305"]), department=rng.choice("159"))
        assert rules.uscc_quick_accept(code)
    with pytest.raises(CodeError):
        validate_uscc("91330106MA0AEH7Y1A")
    assert not rules.uscc_quick_accept("91330106MA0AEH7Y1A")


@pytest.mark.parametrize("value", [
    *(chr(cp) + "尾" for cp in range(0x00, 0x80)),  # every ASCII character, control characters included
    "杭州市场监督管理局", "𠀀𪚥", "\u2028\u2029", "\ufeff", "\ufffd", "😀", '引号"与\\反斜杠',
    0, -17, 2**63 - 1, True, False, None,
])
def test_canonical_record_json_writes_exactly_what_canonical_json_writes(value: object) -> None:
    data = {"CF_WSH": "杭市监罚〔2025〕1号", "B": value, "a": "x"}
    assert rules.canonical_record_json(data) == rules.canonical_json(data)


@pytest.mark.parametrize("value", [2**70, 1.5, date(2025, 3, 3), ["a"], {"k": 1}, Decimal("2.50"), "\ud800"])
def test_canonical_record_json_falls_back_for_anything_else(value: object) -> None:
    data = {"b": value, "a": "x"}
    assert rules.canonical_record_json(data) == rules.canonical_json(data)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.text(), st.integers(), st.booleans(), st.none()),
                       max_size=12))
def test_canonical_record_json_agrees_on_any_flat_record(data: dict[str, object]) -> None:
    assert rules.canonical_record_json(data) == rules.canonical_json(data)


def test_an_enum_error_lists_every_code_with_its_meaning() -> None:
    """An officer cannot look 07 up: each code with its meaning, and that the meaning may be sent instead
    (acceptance run, session 12: the list was cut at 12 codes without meanings)."""
    spec = {"type": "enum", "allowed": [f"{i:02d}" for i in range(1, 15)],
            "allowed_labels": {f"{i:02d}": f"类别{i}" for i in range(1, 15)}}
    with pytest.raises(rules.FieldError) as refused:
        check(spec, "罚金")
    assert "01 类别1、02 类别2" in refused.value.reason
    assert "14 类别14" in refused.value.reason
    assert "也可填写名称，如“类别1”" in refused.value.reason
