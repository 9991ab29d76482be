"""Pure catalog rules: the field-schema language, Art. 37, transitions, repair rules (no database)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pubcredit.catalog import rules
from pubcredit.catalog.models import Frequency, InfoClass, OpenLevel, VersionState
from pubcredit.catalog.services import INITIAL_CATALOG_PATH
from pubcredit.errors import InvalidInput
from pubcredit.subjects.models import SubjectKind
from tests.catalog.conftest import adverse_content


def field(name: str = "f1", label: str = "普通字段", type_: str = "string", **kw: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "type": type_, **kw}


def content(**overrides: Any) -> dict[str, Any]:
    data = adverse_content(**overrides)
    data.setdefault("domain", "")
    data.setdefault("note", "")
    data.setdefault("submission_lag_workdays", None)
    data.setdefault("subject_fields", None)
    return data


# --- vocabularies mirror the models ---

def test_vocabularies_match_the_model_choices() -> None:
    assert set(rules.SUBJECT_KINDS) == set(SubjectKind.values)
    assert set(rules.INFO_CLASSES) == set(InfoClass.values)
    assert set(rules.OPEN_LEVELS) == set(OpenLevel.values)
    assert set(rules.FREQUENCIES) == set(Frequency.values)
    assert set(rules.STATE_LABELS) == set(VersionState.values)
    assert {str(label) for label in VersionState.labels} == set(rules.STATE_LABELS.values())


# --- transitions ---

ALLOWED = {
    ("draft", "consultation"), ("consultation", "draft"), ("consultation", "published"), ("draft", "published"),
    ("draft", "retired"), ("consultation", "retired"), ("published", "retired"),
}


@pytest.mark.parametrize("current", VersionState.values)
@pytest.mark.parametrize("target", VersionState.values)
def test_transition_table(current: str, target: str) -> None:
    assert rules.can_transition(current, target) is ((current, target) in ALLOWED)


# --- Art. 37 para. 2: prohibited categories ---

@pytest.mark.parametrize(("name", "label", "category"), [
    ("x1", "宗教信仰", "religion"),
    ("x1", "信仰情况", "religion"),
    ("religion", "备注一", "religion"),
    ("x1", "Religious affiliation", "religion"),
    ("x1", "指纹特征", "biometrics"),
    ("x1", "人脸照片", "biometrics"),
    ("x1", "面部特征值", "biometrics"),
    ("x1", "虹膜", "biometrics"),
    ("x1", "声纹", "biometrics"),
    ("x1", "基因检测结果", "biometrics"),
    ("x1", "血型", "biometrics"),
    ("DNA_SEQ", "序列", "biometrics"),
    ("fingerprintHash", "摘要", "biometrics"),
    ("x1", "Face photo", "biometrics"),
    ("blood_type", "类别", "biometrics"),
    ("x1", "Biometric template", "biometrics"),
    ("x1", "行踪记录", "whereabouts"),
    ("x1", "出行轨迹", "whereabouts"),
    ("x1", "实时位置", "whereabouts"),
    ("x1", "定位信息", "whereabouts"),
    ("GPS_TRACE", "记录", "whereabouts"),
    ("lastLocation", "最近", "whereabouts"),
    ("x1", "Whereabouts", "whereabouts"),
    ("x1", "既往病史", "disease_history"),
    ("medical_history", "记录", "disease_history"),
])
def test_prohibited_category_detects_name_and_label(name: str, label: str, category: str) -> None:
    assert rules.prohibited_category({"name": name, "label": label}) == category


@pytest.mark.parametrize(("name", "label"), [
    ("surface_area", "面积"), ("allocation_no", "分配编号"), ("interface_code", "接口代码"),
    ("CF_WSH", "行政处罚决定书文号"), ("address", "住所（主要经营场所）"), ("credit", "诚信记录"),
])
def test_prohibited_category_leaves_ordinary_fields_alone(name: str, label: str) -> None:
    assert rules.prohibited_category({"name": name, "label": label}) is None


@pytest.mark.parametrize(("name", "label", "category"), [
    ("x1", "宗教信仰", "religion"),
    ("fingerprint", "摘要", "biometrics"),
    ("x1", "GPS 定位", "whereabouts"),
    ("x1", "病史", "disease_history"),
])
def test_prohibited_field_is_refused_naming_field_and_category(name: str, label: str, category: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules.validate_field_specs([field(), field(name, label)])
    assert err.value.field == "fields[1]"
    assert name in err.value.message
    assert rules.PROHIBITED_LABELS[category] in err.value.message
    assert "第三十七条" in err.value.message


# --- Art. 37 para. 3: consent ---

@pytest.mark.parametrize(("name", "label", "category"), [
    ("x1", "财产状况", "property"),
    ("x1", "房产登记信息", "property"),
    ("x1", "不动产权证号", "property"),
    ("x1", "存款余额", "property"),
    ("x1", "月收入", "property"),
    ("x1", "持有证券", "property"),
    ("x1", "商业保险保单", "property"),
    ("x1", "名下车辆", "property"),
    ("x1", "捐赠金额（元）", "property"),
    ("annual_income", "年度", "property"),
    ("real_estate", "登记", "property"),
    ("x1", "纳税额", "tax_amount"),
    ("x1", "应纳税额", "tax_amount"),
    ("x1", "纳税数额", "tax_amount"),
    ("tax_amount", "金额", "tax_amount"),
    ("x1", "Tax amount paid", "tax_amount"),
])
def test_consent_fields_are_marked(name: str, label: str, category: str) -> None:
    assert rules.consent_category({"name": name, "label": label}) == category
    [spec] = rules.validate_field_specs([field(name, label)])
    assert spec["consent_required"] is True
    assert spec["consent_category"] == category


def test_ordinary_field_needs_no_consent_and_author_cannot_lower_it() -> None:
    plain, lowered, raised = rules.validate_field_specs([
        field("a", "欠税金额"),
        field("b", "存款余额", consent_required=False),
        field("c", "月度数值", consent_required=True, consent_category="property"),
    ])
    assert plain["consent_required"] is False
    assert "consent_category" not in plain
    assert lowered["consent_required"] is True  # the rules win over the author
    assert raised["consent_required"] is True  # an author may require more …
    assert raised["consent_category"] == "property"  # … naming the consent that covers the field


@pytest.mark.parametrize("category", [None, "", "religion", "财产"])
def test_a_field_raised_to_consent_by_hand_names_its_consent(category: str | None) -> None:
    """Without a category no consent could ever be recorded for it (record_consent takes property and
    tax_amount only), and every person's row would be refused for good (a reviewer's finding)."""
    extra = {} if category is None else {"consent_category": category}
    told = "应指明同意事项：tax_amount（纳税数额）、property（财产取得、处分）"
    with pytest.raises(InvalidInput, match=told) as refused:
        rules.validate_field_specs([field("c", "月度数值", consent_required=True, **extra)])
    assert refused.value.field == "fields[0].consent_category"


# --- the schema language ---

@pytest.mark.parametrize(("specs", "where"), [
    ([field(), {"name": "f2", "label": "b", "type": "blob"}], "fields[1].type"),
    ([{"name": "f1", "type": "string"}], "fields[0].label"),
    ([field(name="1abc")], "fields[0].name"),
    ([field(), field(name="F1")], "fields[1].name"),
    ([field(colour="red")], "fields[0].colour"),
    ([field(type_="enum")], "fields[0].allowed"),
    ([field(type_="enum", allowed=["a", "a"])], "fields[0].allowed"),
    ([field(type_="date", max_length=10)], "fields[0].max_length"),
    ([field(max_length=0)], "fields[0].max_length"),
    ([field(required="yes")], "fields[0].required"),
    ([field(allowed=["x"])], "fields[0].allowed"),
    ([field(type_="enum", allowed=["1"], allowed_labels={"2": "二"})], "fields[0].allowed_labels"),
    ([field(type_="decimal", max_digits=5, decimal_places=6)], "fields[0].decimal_places"),
    ([field(type_="uscc", special_values=["abc"])], "fields[0].special_values[0]"),
    ([field(required_if={"field": "nope", "in": ["1"]})], "fields[0].required_if.field"),
    ([field(required=True, required_if={"field": "f2", "in": ["1"]}), field("f2")], "fields[0].required_if"),
    ([field(type_="enum", allowed=["1"]), field("f2", required_if={"field": "f1", "in": ["9"]})],
     "fields[1].required_if.in"),
    ([], "fields"),
    ("not a list", "fields"),
    ([field(), "x"], "fields[1]"),
])
def test_schema_errors_name_the_field(specs: Any, where: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules.validate_field_specs(specs)
    assert err.value.field == where
    assert err.value.message


def test_normalisation_fills_defaults_and_forces_personal_for_resident_id() -> None:
    [a, b, c] = rules.validate_field_specs([
        field(label=" 名称 "),
        field("id_no", "居民身份证号码", "resident_id", required=True),
        field("kind", "类别", "enum", allowed=["1", "2"], allowed_labels={"2": "无效", "1": "有效"}),
    ])
    assert a == {"name": "f1", "label": "名称", "type": "string", "required": False, "personal": False,
                 "consent_required": False}
    assert b["personal"] is True
    assert c["allowed_labels"] == {"1": "有效", "2": "无效"}


def test_validation_is_idempotent_on_the_whole_initial_catalog() -> None:
    document = rules.parse_catalog_document(json.loads(INITIAL_CATALOG_PATH.read_text(encoding="utf-8")))
    for spec in document.entries:
        fields = spec["content"]["fields"]
        assert rules.validate_field_specs(fields) == fields


# --- whole-version content ---

@pytest.mark.parametrize(("overrides", "where"), [
    ({"subject_kinds": ["company"]}, "subject_kinds[0]"),
    ({"subject_kinds": []}, "subject_kinds"),
    ({"open_level": "secret"}, "open_level"),
    ({"frequency": "hourly"}, "frequency"),
    ({"natural_key": ["nope"]}, "natural_key[0]"),
    ({"natural_key": []}, "natural_key"),
    ({"decision_date_field": "decision_no"}, "decision_date_field"),
    ({"decision_date_field": ""}, "decision_date_field"),
    ({"disclosure_months": None}, "disclosure_months"),
    ({"disclosure_months": 0}, "disclosure_months"),
    ({"legal_basis": " "}, "legal_basis"),
    ({"repair_rules": {}}, "repair_rules"),
    ({"repair_rules": {"scope": "s", "conditions": ["c"], "ways": ["罚款了事"]}}, "repair_rules.ways[0]"),
    ({"repair_rules": {"scope": "s", "conditions": ["c"], "ways": ["纠正失信行为"], "severities": [
        {"level": "huge", "criteria": "c"}]}}, "repair_rules.severities[0].level"),
    ({"repair_rules": {"scope": "s", "conditions": ["c"], "ways": ["纠正失信行为"], "min_publicity_months": 12,
                       "max_publicity_months": 3}}, "repair_rules.min_publicity_months"),
    ({"repair_rules": {"scope": "s", "conditions": ["c"], "ways": ["纠正失信行为"], "max_publicity_months": 72}},
     "repair_rules.max_publicity_months"),
    ({"subject_kinds": ["natural_person"]}, "subject_fields.resident_id"),
    ({"subject_fields": {"uscc": "decision_no"}}, "subject_fields.uscc"),
])
def test_version_content_errors_name_the_part(overrides: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules.validate_version_content(info_class="adverse", **content(**overrides))
    assert err.value.field == where


def test_natural_key_fields_must_be_required() -> None:
    fields = [*adverse_content()["fields"], field("optional_no", "可选编号")]
    with pytest.raises(InvalidInput) as err:
        rules.validate_version_content(info_class="adverse", **content(fields=fields, natural_key=["optional_no"]))
    assert err.value.field == "natural_key[0]"


def test_repair_rules_belong_to_adverse_entries_only() -> None:
    with pytest.raises(InvalidInput) as err:
        rules.validate_version_content(info_class="basic", **content())
    assert err.value.field == "repair_rules"
    basic = rules.validate_version_content(info_class="basic", **content(repair_rules={}, disclosure_months=None,
                                                                          decision_date_field=""))
    assert basic["repair_rules"] == {}


def test_repair_rules_default_decision_time_and_order_severities() -> None:
    repair = {"scope": "s", "conditions": ["c"], "ways": ["接受诚信教育"], "severities": [
        {"level": "serious", "criteria": "重", "min_publicity_months": 12, "max_publicity_months": 36},
        {"level": "minor", "criteria": "轻", "publish": False, "max_publicity_months": 3},
    ]}
    out = rules.validate_version_content(info_class="adverse", **content(repair_rules=repair))["repair_rules"]
    assert out["decide_within_workdays"] == rules.REPAIR_DECIDE_WITHIN_WORKDAYS == 3
    assert [s["level"] for s in out["severities"]] == ["minor", "serious"]
    assert out["severities"][0]["publish"] is False


def test_subject_fields_are_inferred_only_when_unambiguous() -> None:
    out = rules.validate_version_content(info_class="adverse", **content())
    assert out["subject_fields"] == {"uscc": "uscc"}
    two = [*adverse_content()["fields"], field("other_uscc", "机关代码", "uscc")]
    with pytest.raises(InvalidInput) as err:
        rules.validate_version_content(info_class="adverse", **content(fields=two))
    assert err.value.field == "subject_fields.uscc"


# --- catalog documents ---

def _doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": rules.CATALOG_FORMAT, "title": "t", "edition": "e", "skip_consultation_reason": "r",
        "departments": [{"code": "hz-a", "name": "甲局"}],
        "entries": [{"code": "e-1", "name": "甲", "department": "hz-a", "info_class": "adverse",
                     "version": adverse_content()}],
    }
    doc.update(overrides)
    return doc


def test_document_parses_and_expands_field_sets() -> None:
    fields = [{"include": "ids"}, *adverse_content()["fields"][1:]]
    entry = {"code": "e-1", "name": "甲", "department": "hz-a", "info_class": "adverse",
             "version": adverse_content(fields=fields)}
    doc = rules.parse_catalog_document(_doc(field_sets={"ids": adverse_content()["fields"][:1]}, entries=[entry]))
    assert [f["name"] for f in doc.entries[0]["content"]["fields"]] == ["uscc", "decision_no", "decided_on"]
    assert doc.departments == [{"code": "hz-a", "name": "甲局", "uscc": "", "district_code": "330100"}]


@pytest.mark.parametrize(("overrides", "where"), [
    ({"format": "v0"}, "format"),
    ({"skip_consultation_reason": ""}, "skip_consultation_reason"),
    ({"departments": [{"code": "hz-a", "name": "甲局", "uscc": "91110000600037341A"}]}, "departments[0].uscc"),
    ({"departments": [{"code": "hz-a", "name": "甲局"}, {"code": "hz-a", "name": "乙局"}]}, "departments[1].code"),
    ({"entries": [{"code": "e-1", "name": "甲", "department": "hz-x", "info_class": "adverse",
                   "version": adverse_content()}]}, "entries[0](e-1).department"),
    ({"entries": [{"code": "e-1", "name": "甲", "department": "hz-a", "info_class": "adverse",
                   "version": adverse_content(fields=[{"include": "nope"}])}]}, "entries[0](e-1).fields[0].include"),
    ({"entries": [{"code": "e-1", "name": "甲", "department": "hz-a", "info_class": "adverse",
                   "version": adverse_content(open_level="open")}]}, "entries[0](e-1).open_level"),
    ({"extra": 1}, "extra"),
])
def test_document_errors_locate_the_problem(overrides: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules.parse_catalog_document(_doc(**overrides))
    assert err.value.field == where
    assert "\n" not in str(err.value)


def test_department_uscc_error_names_the_wrong_character() -> None:
    with pytest.raises(InvalidInput) as err:
        rules.check_uscc("91110000600037341A")
    assert "校验" in err.value.message or "第18位" in err.value.message
    assert rules.check_uscc("91110000600037341L") == "91110000600037341L"
