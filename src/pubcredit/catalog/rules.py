"""Pure rules of the catalog: the field-schema language, Art. 37 collection norms, transitions.

Nothing here touches the database; services call these functions before they write, and the
initial-catalog loader calls the same ones before it writes anything (one validation path).

A **field spec** is a JSON object::

    {"name": "CF_WSH", "label": "行政处罚决定书文号", "type": "string", "required": true,
     "max_length": 128}

Keys an author may give:

``name``            identifier, ``[A-Za-z][A-Za-z0-9_]*``, at most 64 characters, unique per entry
``label``           the Chinese data-item name shown to people
``type``            one of :data:`FIELD_TYPES`
``required``        bool, default false
``max_length``      string/text only: the longest value accepted
``allowed``         enum only (and required there): the accepted values
``allowed_labels``  enum only: ``{value: Chinese label}`` for display
``max_digits`` / ``decimal_places``   decimal only
``special_values``  uscc/resident_id only: values accepted although they fail the check
                    character (the 个体工商户 placeholder ``00000000000000000X``)
``required_if``     ``{"field": other, "in": [values]}``: required when ``other`` has one of
                    the values (the national format's "conditionally required" items)
``description``     free text for submitters
``personal``        bool: personal information, shown masked (forced true for resident_id)
``consent_required`` bool: may only be *raised* by the author; the rules set it for property
                    and tax-amount fields (Art. 37 para. 3) and add ``consent_category``.

Validation errors raise :class:`pubcredit.errors.InvalidInput` whose ``field`` names the place,
e.g. ``fields[3].type``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pubcredit.codes import NO_CODE_PLACEHOLDER, CodeError, validate_uscc
from pubcredit.errors import InvalidInput

FieldSpec = dict[str, Any]

# --- vocabularies (values mirror the TextChoices in catalog/subjects models; a test checks) ---

FIELD_TYPES: Final = ("string", "text", "date", "decimal", "integer", "enum", "uscc", "resident_id", "boolean")
SUBJECT_KINDS: Final = ("legal_person", "unincorporated_org", "natural_person")
ORGANIZATION_KINDS: Final = ("legal_person", "unincorporated_org")
INFO_CLASSES: Final = ("basic", "adverse", "trustworthy")
OPEN_LEVELS: Final = ("public", "authorized", "internal")
FREQUENCIES: Final = ("realtime", "daily", "weekly", "monthly", "quarterly", "yearly")

SUBJECT_KIND_LABELS: Final = {"legal_person": "法人", "unincorporated_org": "非法人组织", "natural_person": "自然人"}
INFO_CLASS_LABELS: Final = {"basic": "基础信息", "adverse": "不良信息", "trustworthy": "守信信息"}
OPEN_LEVEL_LABELS: Final = {"public": "社会公开", "authorized": "授权查询", "internal": "政府内部应用"}

# --- version states and the transition table (Art. 9: consultation before publication) ---

DRAFT: Final = "draft"
CONSULTATION: Final = "consultation"
PUBLISHED: Final = "published"
RETIRED: Final = "retired"
STATE_LABELS: Final = {DRAFT: "草稿", CONSULTATION: "征求意见", PUBLISHED: "已发布", RETIRED: "已废止"}
OPEN_STATES: Final = frozenset({DRAFT, CONSULTATION})

#: (from, to) → the operation that performs it. Anything not listed is refused with Conflict.
TRANSITIONS: Final[Mapping[tuple[str, str], str]] = {
    (DRAFT, CONSULTATION): "open_consultation",
    (CONSULTATION, DRAFT): "return_to_draft",  # revise after comments, then consult again
    (CONSULTATION, PUBLISHED): "publish",
    # Only with a recorded reason (the initial catalog); Art. 9 otherwise requires consultation.
    (DRAFT, PUBLISHED): "publish_without_consultation",
    (DRAFT, RETIRED): "retire",
    (CONSULTATION, RETIRED): "retire",
    (PUBLISHED, RETIRED): "retire",
}


def can_transition(current: str, target: str) -> bool:
    """Whether a catalog version may move from ``current`` to ``target`` (Art. 9)."""
    return (current, target) in TRANSITIONS


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


# --- legal numbers, beside their source; operator knobs are catalog data, these are defaults ---

#: 《浙江省公共信用信息管理条例》: adverse information is disclosed for 5 years from the finding.
#: A configurable default for ``disclosure_months`` of adverse entries, not a hard limit.
ADVERSE_DISCLOSURE_MONTHS_DEFAULT: Final = 60
#: 国办发〔2025〕22号: the deciding authority decides on a repair within 3 working days.
REPAIR_DECIDE_WITHIN_WORKDAYS: Final = 3
#: Publicity windows (months) of 国办发〔2025〕22号 / NDRC Order No. 36, by severity: (min, max).
SEVERITY_PUBLICITY_MONTHS: Final = {"minor": (0, 3), "general": (3, 12), "serious": (12, 36)}
SEVERITY_LABELS: Final = {"minor": "轻微", "general": "一般", "serious": "严重"}
#: Art. 36: the ways of repairing adverse information.
REPAIR_WAYS: Final = ("纠正失信行为", "承担相应法律责任", "接受诚信教育", "做出守信承诺")
#: Days a consultation stays open when an operator does not name an end date (admin action).
CONSULTATION_DEFAULT_DAYS: Final = 30
#: 个体工商户 without a USCC are reported with this value in the 双公示 formats (fails GB 32100).
NO_USCC_PLACEHOLDER: Final = NO_CODE_PLACEHOLDER

# --- Art. 37: prohibited and consent-bound information ---

PROHIBITED_LABELS: Final = {
    "religion": "宗教信仰",
    "biometrics": "生物识别信息",
    "whereabouts": "行踪信息",
    "disease_history": "病史",
}
_PROHIBITED_CJK: Final = {
    "religion": ("宗教", "信仰"),
    "biometrics": ("指纹", "掌纹", "人脸", "面部", "面容", "虹膜", "声纹", "基因", "血型"),
    "whereabouts": ("行踪", "轨迹", "位置", "定位"),
    "disease_history": ("病史",),
}
_PROHIBITED_WORDS: Final = {
    "religion": ("religion", "religions", "religious", "faith", "belief", "beliefs"),
    "biometrics": ("biometric", "biometrics", "fingerprint", "fingerprints", "face", "faces", "facial", "iris",
                   "voiceprint", "palmprint", "gene", "genes", "genetic", "dna", "bloodtype"),
    "whereabouts": ("whereabouts", "location", "locations", "geolocation", "gps", "trajectory", "latitude",
                    "longitude", "coordinates"),
    "disease_history": ("disease", "diseases"),
}
_PROHIBITED_PHRASES: Final = {
    "biometrics": ("blood type", "blood group"),
    "disease_history": ("medical history", "illness history", "disease history"),
}

CONSENT_LABELS: Final = {"tax_amount": "纳税数额", "property": "财产取得、处分"}
_CONSENT_CJK: Final = {
    "tax_amount": ("纳税数额", "纳税金额", "缴税金额", "税额"),
    "property": ("财产", "房产", "不动产", "存款", "收入", "证券", "股票", "保险", "车辆", "工资", "薪酬", "资产",
                 "捐赠金额", "捐款金额"),
}
_CONSENT_WORDS: Final = {
    "tax_amount": (),
    "property": ("property", "properties", "deposit", "deposits", "income", "salary", "salaries", "wage", "wages",
                 "securities", "stock", "stocks", "insurance", "vehicle", "vehicles", "asset", "assets"),
}
_CONSENT_PHRASES: Final = {
    "tax_amount": ("tax amount", "tax paid", "taxes paid", "tax payment amount"),
    "property": ("real estate", "donation amount"),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def _words(text: str) -> list[str]:
    """Lower-case ASCII words of ``text``: ``faceImage`` → face image, ``CF_GPS`` → cf gps."""
    return [w.lower() for w in _NON_ALNUM.split(_CAMEL.sub(" ", text)) if w]


def _match(field: Mapping[str, Any], cjk: Mapping[str, tuple[str, ...]], words: Mapping[str, tuple[str, ...]],
           phrases: Mapping[str, tuple[str, ...]]) -> str | None:
    texts = [str(field.get("name") or ""), str(field.get("label") or "")]
    for category, needles in cjk.items():
        if any(n in t for t in texts for n in needles):
            return category
    for text in texts:
        found = _words(text)
        joined = " " + " ".join(found) + " "
        for category in cjk:  # the same, deterministic order as the Chinese keywords
            if any(w in found for w in words.get(category, ())):
                return category
            if any(f" {p} " in joined for p in phrases.get(category, ())):
                return category
    return None


def prohibited_category(field: Mapping[str, Any]) -> str | None:
    """Art. 37 para. 2: the prohibited category a field falls in, or None.

    《杭州市社会信用条例（草案）》第三十七条第二款 forbids collecting a natural person's religious
    belief, biometric information and whereabouts; 《浙江省公共信用信息管理条例》 also bans disease
    history (and names genes, fingerprints and blood type, covered by biometrics). Detected in the
    field's name or label, Chinese or English. Returns ``religion``, ``biometrics``,
    ``whereabouts`` or ``disease_history``; such a field is refused when a catalog is defined.
    """
    return _match(field, _PROHIBITED_CJK, _PROHIBITED_WORDS, _PROHIBITED_PHRASES)


def consent_category(field: Mapping[str, Any]) -> str | None:
    """Art. 37 para. 3: ``property`` or ``tax_amount`` if the field needs written consent, else None.

    第三十七条第三款: information on a natural person's acquisition or disposal of property
    (财产/房产/不动产/存款/收入/证券/保险/车辆 …) and on the amount of tax paid may only be
    collected with the person's written consent. Such fields get ``consent_required: true``;
    the collection app then refuses a natural person's record that carries no recorded consent.
    """
    return _match(field, _CONSENT_CJK, _CONSENT_WORDS, _CONSENT_PHRASES)


def prohibited_message(field: Mapping[str, Any], category: str) -> str:
    """The refusal text naming the field and the category (shown at definition and ingestion)."""
    return (f"字段 {field.get('name')}（{field.get('label')}）属于禁止采集的{PROHIBITED_LABELS[category]}，"
            "依《杭州市社会信用条例》第三十七条不得纳入归集目录")


# --- the field-schema language ---

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_CODE18_RE = re.compile(r"^[0-9A-Z]{18}$")
_AUTHOR_KEYS: Final = frozenset({
    "name", "label", "type", "required", "max_length", "allowed", "allowed_labels", "max_digits",
    "decimal_places", "special_values", "required_if", "description", "personal", "consent_required",
    "consent_category",  # detected from the name or label; named by the author when raising consent_required
})
MAX_FIELDS: Final = 200


def _bad(message: str, where: str) -> InvalidInput:
    return InvalidInput(message, field=where)


def _text(value: object, where: str, *, max_len: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _bad("应为文本", where)
    value = value.strip()
    if required and not value:
        raise _bad("不能为空", where)
    if len(value) > max_len:
        raise _bad(f"不能超过 {max_len} 个字符", where)
    return value


def _bool(value: object, where: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad("应为 true 或 false", where)
    return value


def _int(value: object, where: str, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad("应为整数", where)
    if not low <= value <= high:
        raise _bad(f"应在 {low} 到 {high} 之间", where)
    return value


def _string_list(value: object, where: str, *, max_len: int = 100) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _bad("应为非空列表", where)
    out = [_text(v, f"{where}[{i}]", max_len=max_len) for i, v in enumerate(value)]
    if len(set(out)) != len(out):
        raise _bad("取值不能重复", where)
    return out


def _only_for(spec: Mapping[str, Any], key: str, types: Iterable[str], where: str) -> None:
    if key in spec and spec[key] is not None and spec["type"] not in types:
        raise _bad(f"只有 {'/'.join(types)} 类型的字段可以设置 {key}", f"{where}.{key}")


def _validate_one(raw: object, where: str) -> FieldSpec:
    if not isinstance(raw, dict):
        raise _bad("字段定义应为对象", where)
    for key in raw:
        if key not in _AUTHOR_KEYS:
            raise _bad(f"未知的字段属性 {key}", f"{where}.{key}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _bad("字段名应以字母开头，只含字母、数字和下划线，不超过 64 个字符", f"{where}.name")
    label = _text(raw.get("label"), f"{where}.label", max_len=100)
    category = prohibited_category({"name": name, "label": label})
    if category is not None:
        raise _bad(prohibited_message({"name": name, "label": label}, category), where)
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise _bad(f"字段类型应为 {'、'.join(FIELD_TYPES)} 之一", f"{where}.type")
    spec: FieldSpec = {"name": name, "label": label, "type": ftype,
                       "required": _bool(raw.get("required"), f"{where}.required")}
    checked = {**raw, "type": ftype}
    _only_for(checked, "max_length", ("string", "text"), where)
    _only_for(checked, "allowed", ("enum",), where)
    _only_for(checked, "allowed_labels", ("enum",), where)
    _only_for(checked, "max_digits", ("decimal",), where)
    _only_for(checked, "decimal_places", ("decimal",), where)
    _only_for(checked, "special_values", ("uscc", "resident_id"), where)
    if raw.get("max_length") is not None:
        spec["max_length"] = _int(raw["max_length"], f"{where}.max_length", low=1, high=100_000)
    if ftype == "enum":
        if raw.get("allowed") is None:
            raise _bad("enum 类型的字段必须列出 allowed 取值", f"{where}.allowed")
        spec["allowed"] = _string_list(raw["allowed"], f"{where}.allowed")
        labels = raw.get("allowed_labels")
        if labels is not None:
            if not isinstance(labels, dict):
                raise _bad("应为 {取值: 名称} 对象", f"{where}.allowed_labels")
            for key, text in labels.items():
                if key not in spec["allowed"]:
                    raise _bad(f"{key} 不在 allowed 取值中", f"{where}.allowed_labels")
                _text(text, f"{where}.allowed_labels.{key}", max_len=100)
            spec["allowed_labels"] = {k: labels[k].strip() for k in spec["allowed"] if k in labels}
    if ftype == "decimal":
        digits = raw.get("max_digits")
        places = raw.get("decimal_places")
        if digits is not None:
            spec["max_digits"] = _int(digits, f"{where}.max_digits", low=1, high=30)
        if places is not None:
            high = int(spec.get("max_digits", 30))
            spec["decimal_places"] = _int(places, f"{where}.decimal_places", low=0, high=high)
    if raw.get("special_values") is not None:
        values = _string_list(raw["special_values"], f"{where}.special_values")
        for i, value in enumerate(values):
            if not _CODE18_RE.match(value):
                raise _bad("特殊值应为 18 位数字或大写字母", f"{where}.special_values[{i}]")
        spec["special_values"] = values
    if raw.get("description") is not None:
        spec["description"] = _text(raw["description"], f"{where}.description", max_len=1000)
    if raw.get("required_if") is not None:
        cond = raw["required_if"]
        if not isinstance(cond, dict) or set(cond) != {"field", "in"}:
            raise _bad('应为 {"field": 字段名, "in": [取值]}', f"{where}.required_if")
        if not isinstance(cond["field"], str):
            raise _bad("应为字段名", f"{where}.required_if.field")
        if spec["required"]:
            raise _bad("必填字段不能再设置条件必填", f"{where}.required_if")
        spec["required_if"] = {"field": cond["field"], "in": _string_list(cond["in"], f"{where}.required_if.in")}
    spec["personal"] = ftype == "resident_id" or _bool(raw.get("personal"), f"{where}.personal")
    consent = consent_category(spec)  # detected from the name or label: it decides
    spec["consent_required"] = consent is not None or _bool(raw.get("consent_required"), f"{where}.consent_required")
    if consent is None and spec["consent_required"]:
        # Raised by hand: the author names which consent of Art. 37 para. 3 covers the field, or no
        # consent could ever be recorded for it (record_consent takes these categories only).
        given = raw.get("consent_category")
        if given not in CONSENT_LABELS:
            choices = "、".join(f"{k}（{v}）" for k, v in CONSENT_LABELS.items())
            raise _bad(f"须经本人书面同意的字段应指明同意事项：{choices}", f"{where}.consent_category")
        consent = str(given)
    if consent is not None:
        spec["consent_category"] = consent
    return spec


def validate_field_specs(fields: object) -> list[FieldSpec]:
    """Check and normalise an entry's field specs; return them ready to store (Art. 13, 37).

    Refuses prohibited fields (Art. 37 para. 2) with a message naming field and category, marks
    consent-bound ones (Art. 37 para. 3). Idempotent: normalised output validates to itself.
    Raises InvalidInput with ``field`` like ``fields[3].type``.
    """
    if not isinstance(fields, list) or not fields:
        raise _bad("字段列表应为非空列表", "fields")
    if len(fields) > MAX_FIELDS:
        raise _bad(f"一个目录条目最多 {MAX_FIELDS} 个字段", "fields")
    specs: list[FieldSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(fields):
        spec = _validate_one(raw, f"fields[{i}]")
        key = spec["name"].lower()
        if key in seen:
            raise _bad(f"字段名 {spec['name']} 与 fields[{seen[key]}] 重复", f"fields[{i}].name")
        seen[key] = i
        specs.append(spec)
    by_name = {s["name"]: s for s in specs}
    for i, spec in enumerate(specs):
        cond = spec.get("required_if")
        if cond is None:
            continue
        other = by_name.get(cond["field"])
        if other is None or other is spec:
            raise _bad(f"条件字段 {cond['field']} 不存在", f"fields[{i}].required_if.field")
        if other["type"] == "enum":
            for value in cond["in"]:
                if value not in other["allowed"]:
                    raise _bad(f"{value} 不是字段 {other['name']} 的取值", f"fields[{i}].required_if.in")
    return specs


# --- a whole version's content ---

def _field_named(specs: list[FieldSpec], name: object, where: str) -> FieldSpec:
    for spec in specs:
        if spec["name"] == name:
            return spec
    raise _bad(f"字段 {name} 不在字段列表中", where)


def _validate_subject_fields(value: object, specs: list[FieldSpec], kinds: list[str]) -> dict[str, str]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _bad('应为 {"uscc": 字段名, "resident_id": 字段名, "name": 字段名}', "subject_fields")
    out: dict[str, str] = {}
    allowed_types = {"uscc": ("uscc",), "resident_id": ("resident_id", "string"), "name": ("string",)}
    for key, name in value.items():
        where = f"subject_fields.{key}"
        if key not in allowed_types:
            raise _bad(f"未知的主体识别项 {key}", where)
        spec = _field_named(specs, name, where)
        if spec["type"] not in allowed_types[key]:
            raise _bad(f"字段 {name} 的类型 {spec['type']} 不能识别主体的 {key}", where)
        if key == "resident_id" and not spec["personal"]:
            raise _bad(f"字段 {name} 承载身份证件号码，应标记为个人信息（personal）", where)
        out[key] = str(name)
    # Infer only the obvious: the single field of the matching type, for a kind the entry covers.
    wants_org = any(k in ORGANIZATION_KINDS for k in kinds)
    for key, ftype, wanted in (("uscc", "uscc", wants_org), ("resident_id", "resident_id", "natural_person" in kinds)):
        candidates = [s["name"] for s in specs if s["type"] == ftype]
        if wanted and key not in out and len(candidates) == 1:
            out[key] = candidates[0]
    if wants_org and "uscc" not in out:
        raise _bad("适用于组织的条目须指明承载统一社会信用代码的字段", "subject_fields.uscc")
    if "natural_person" in kinds and "resident_id" not in out:
        raise _bad("适用于自然人的条目须指明承载身份证件号码的字段", "subject_fields.resident_id")
    return out


def _validate_match(value: object, specs: list[FieldSpec], where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise _bad("应为非空列表", where)
    out = []
    for i, cond in enumerate(value):
        w = f"{where}[{i}]"
        if not isinstance(cond, dict) or set(cond) != {"field", "in"}:
            raise _bad('应为 {"field": 字段名, "in": [取值]}', w)
        spec = _field_named(specs, cond["field"], f"{w}.field")
        values = _string_list(cond["in"], f"{w}.in")
        if spec["type"] == "enum":
            for value_ in values:
                if value_ not in spec["allowed"]:
                    raise _bad(f"{value_} 不是字段 {spec['name']} 的取值", f"{w}.in")
        out.append({"field": spec["name"], "in": values})
    return out


def _months_window(raw: Mapping[str, Any], where: str, disclosure_months: int | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in ("min_publicity_months", "max_publicity_months"):
        if raw.get(key) is not None:
            out[key] = _int(raw[key], f"{where}.{key}", low=0, high=600)
    if "min_publicity_months" in out and "max_publicity_months" in out \
            and out["min_publicity_months"] > out["max_publicity_months"]:
        raise _bad("最短公示期不能长于最长公示期", f"{where}.min_publicity_months")
    if disclosure_months is not None and out.get("max_publicity_months", 0) > disclosure_months:
        raise _bad(f"最长公示期不能超过披露期限 {disclosure_months} 个月", f"{where}.max_publicity_months")
    return out


_REPAIR_KEYS: Final = frozenset({"scope", "conditions", "ways", "decide_within_workdays", "min_publicity_months",
                                 "max_publicity_months", "severities"})
_SEVERITY_KEYS: Final = frozenset({"level", "criteria", "publish", "min_publicity_months", "max_publicity_months",
                                   "match_any"})


def validate_repair_rules(rules: object, *, info_class: str, specs: list[FieldSpec],
                          disclosure_months: int | None) -> dict[str, Any]:
    """Check the repair rules of an entry (Art. 36): scope, conditions, ways, publicity windows.

    Only adverse entries carry repair rules, and they must (Art. 36: each department states the
    repair scope, conditions and ways for its adverse information). ``severities`` grade the
    publicity windows as in 国办发〔2025〕22号 (minor ≤ 3 months, general 3–12, serious 12–36);
    ``match_any`` says which records fall in a grade; grades are checked in the order minor →
    general → serious and the first that matches applies (a simple-procedure fine is minor).
    """
    if info_class != "adverse":
        if rules not in (None, {}):
            raise _bad("只有不良信息条目可以设定修复规则", "repair_rules")
        return {}
    if not isinstance(rules, dict) or not rules:
        raise _bad("不良信息条目必须明确修复范围、条件和方式（第三十六条）", "repair_rules")
    for key in rules:
        if key not in _REPAIR_KEYS:
            raise _bad(f"未知的修复规则属性 {key}", f"repair_rules.{key}")
    out: dict[str, Any] = {
        "scope": _text(rules.get("scope"), "repair_rules.scope", max_len=1000),
        "conditions": _string_list(rules.get("conditions"), "repair_rules.conditions", max_len=500),
    }
    ways = _string_list(rules.get("ways"), "repair_rules.ways")
    for i, way in enumerate(ways):
        if way not in REPAIR_WAYS:
            raise _bad(f"修复方式应为 {'、'.join(REPAIR_WAYS)} 之一", f"repair_rules.ways[{i}]")
    out["ways"] = ways
    decide = rules.get("decide_within_workdays", REPAIR_DECIDE_WITHIN_WORKDAYS)
    out["decide_within_workdays"] = _int(decide, "repair_rules.decide_within_workdays", low=1, high=60)
    out.update(_months_window(rules, "repair_rules", disclosure_months))
    if rules.get("severities") is not None:
        raw_levels = rules["severities"]
        if not isinstance(raw_levels, list) or not raw_levels:
            raise _bad("应为非空列表", "repair_rules.severities")
        levels: list[dict[str, Any]] = []
        for i, raw in enumerate(raw_levels):
            where = f"repair_rules.severities[{i}]"
            if not isinstance(raw, dict):
                raise _bad("应为对象", where)
            for key in raw:
                if key not in _SEVERITY_KEYS:
                    raise _bad(f"未知的属性 {key}", f"{where}.{key}")
            level = raw.get("level")
            if level not in SEVERITY_PUBLICITY_MONTHS:
                raise _bad("严重程度应为 minor、general、serious 之一", f"{where}.level")
            if any(existing["level"] == level for existing in levels):
                raise _bad(f"严重程度 {level} 重复", f"{where}.level")
            item: dict[str, Any] = {"level": level,
                                    "criteria": _text(raw.get("criteria"), f"{where}.criteria", max_len=1000),
                                    "publish": _bool(raw.get("publish"), f"{where}.publish", default=True)}
            item.update(_months_window(raw, where, disclosure_months))
            if raw.get("match_any") is not None:
                item["match_any"] = _validate_match(raw["match_any"], specs, f"{where}.match_any")
            levels.append(item)
        order = list(SEVERITY_PUBLICITY_MONTHS)
        out["severities"] = sorted(levels, key=lambda s: order.index(s["level"]))
    return out


def validate_version_content(
    *, info_class: str, item: object, subject_kinds: object, open_level: object, frequency: object,
    fields: object, natural_key: object, decision_date_field: object, legal_basis: object, domain: object,
    disclosure_months: object, repair_rules: object, submission_lag_workdays: object, note: object,
    subject_fields: object,
) -> dict[str, Any]:
    """Check one catalog version's content as a whole; return it normalised (Art. 9, 13, 14, 36, 37).

    Art. 13 fixes what an entry says (provider, item, class, open level, frequency); Art. 14 the
    three open levels; Art. 36 the repair rules of adverse entries; Art. 37 the field norms.
    The natural key and decision-date fields must exist among the fields and be required.
    Raises InvalidInput naming the offending part.
    """
    if info_class not in INFO_CLASSES:
        raise _bad("信息类别应为 basic、adverse、trustworthy 之一", "info_class")
    specs = validate_field_specs(fields)
    if not isinstance(subject_kinds, list) or not subject_kinds:
        raise _bad("适用主体应为非空列表", "subject_kinds")
    kinds: list[str] = []
    for i, kind in enumerate(subject_kinds):
        if kind not in SUBJECT_KINDS:
            raise _bad(f"主体类别应为 {'、'.join(SUBJECT_KINDS)} 之一", f"subject_kinds[{i}]")
        if kind in kinds:
            raise _bad(f"主体类别 {kind} 重复", f"subject_kinds[{i}]")
        kinds.append(str(kind))
    if open_level not in OPEN_LEVELS:
        raise _bad("开放等级应为 public、authorized、internal 之一", "open_level")
    if frequency not in FREQUENCIES:
        raise _bad(f"归集频率应为 {'、'.join(FREQUENCIES)} 之一", "frequency")
    if not isinstance(natural_key, list) or not natural_key:
        raise _bad("业务主键应为非空字段名列表", "natural_key")
    key_fields: list[str] = []
    for i, name in enumerate(natural_key):
        spec = _field_named(specs, name, f"natural_key[{i}]")
        if not spec["required"]:
            raise _bad(f"业务主键字段 {name} 必须为必填字段", f"natural_key[{i}]")
        if spec["name"] in key_fields:
            raise _bad(f"业务主键字段 {name} 重复", f"natural_key[{i}]")
        key_fields.append(spec["name"])
    date_field = ""
    if decision_date_field not in (None, ""):
        spec = _field_named(specs, decision_date_field, "decision_date_field")
        if spec["type"] != "date" or not spec["required"]:
            raise _bad(f"决定日期字段 {decision_date_field} 应为必填的 date 类型字段", "decision_date_field")
        date_field = spec["name"]
    elif info_class == "adverse":
        raise _bad("不良信息条目必须指明决定日期字段（披露期限由此起算）", "decision_date_field")
    months: int | None = None
    if disclosure_months is not None:
        months = _int(disclosure_months, "disclosure_months", low=1, high=600)
    elif info_class == "adverse":
        raise _bad("不良信息条目必须设定披露期限", "disclosure_months")
    lag: int | None = None
    if submission_lag_workdays is not None:
        lag = _int(submission_lag_workdays, "submission_lag_workdays", low=0, high=365)
    return {
        "item": _text(item, "item", max_len=2000),
        "subject_kinds": kinds,
        "open_level": str(open_level),
        "frequency": str(frequency),
        "fields": specs,
        "natural_key": key_fields,
        "decision_date_field": date_field,
        "legal_basis": _text(legal_basis, "legal_basis", max_len=4000),
        "domain": _text(domain, "domain", max_len=100, required=False),
        "disclosure_months": months,
        "repair_rules": validate_repair_rules(repair_rules, info_class=info_class, specs=specs,
                                              disclosure_months=months),
        "submission_lag_workdays": lag,
        "note": _text(note, "note", max_len=8000, required=False),
        "subject_fields": _validate_subject_fields(subject_fields, specs, kinds),
    }


#: The content keywords of a catalog version, in the order the loader and update_draft use them.
CONTENT_KEYS: Final = ("item", "subject_kinds", "open_level", "frequency", "fields", "natural_key",
                       "decision_date_field", "legal_basis", "domain", "disclosure_months", "repair_rules",
                       "submission_lag_workdays", "note", "subject_fields")


# --- codes of departments and entries ---

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")
_DISTRICT_RE = re.compile(r"^\d{6}$")


def check_code(code: object, where: str = "code") -> str:
    """A department or entry code: 2–40 letters, digits, ``-`` or ``_`` (a slug; unique ignoring case)."""
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise _bad("编码应为 2–40 位字母、数字、连字符或下划线，以字母或数字开头", where)
    return code


def check_district(code: object, where: str = "district_code") -> str:
    if not isinstance(code, str) or not _DISTRICT_RE.match(code):
        raise _bad("行政区划代码应为 6 位数字", where)
    return code


def check_uscc(value: object, where: str = "uscc") -> str:
    """A department's USCC: blank, or a valid GB 32100 code (the message names the wrong character)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise _bad("统一社会信用代码应为文本", where)
    try:
        return validate_uscc(value).code
    except CodeError as exc:
        raise _bad(exc.message, where) from exc


# --- a catalog document (the initial catalog file) ---

CATALOG_FORMAT: Final = "pubcredit.catalog/1"
_DOC_KEYS: Final = frozenset({"format", "title", "edition", "skip_consultation_reason", "field_sets",
                              "departments", "entries"})
_DEPT_KEYS: Final = frozenset({"code", "name", "uscc", "district_code"})
_ENTRY_KEYS: Final = frozenset({"code", "name", "department", "info_class", "version"})


@dataclass(frozen=True)
class CatalogDocument:
    """A validated catalog file: departments and entries with normalised version content."""

    title: str
    edition: str
    skip_consultation_reason: str
    departments: list[dict[str, str]]
    entries: list[dict[str, Any]]


def _keys(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise _bad(f"未知的属性 {key}", f"{where}.{key}" if where else str(key))


def _expand_fields(raw: object, field_sets: Mapping[str, list[Any]], where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise _bad("字段列表应为列表", where)
    out: list[Any] = []
    for i, item in enumerate(raw):
        if isinstance(item, dict) and set(item) == {"include"}:
            name = item["include"]
            if not isinstance(name, str) or name not in field_sets:
                raise _bad(f"引用的字段组 {name} 不存在", f"{where}[{i}].include")
            out.extend(field_sets[name])
        else:
            out.append(item)
    return out


def parse_catalog_document(doc: object) -> CatalogDocument:
    """Validate a whole catalog document before anything is written (Art. 9–14, 36, 37).

    Shape: ``{"format": "pubcredit.catalog/1", "title", "edition", "skip_consultation_reason",
    "field_sets": {name: [field specs]}, "departments": [{code, name, uscc, district_code}],
    "entries": [{code, name, department, info_class, version: {content}}]}``. Inside an entry's
    ``fields``, ``{"include": name}`` inserts a shared field set (the 双公示 subject block).
    Each entry's content goes through :func:`validate_version_content`, the same check as a
    single draft. Raises InvalidInput whose field locates the problem, e.g.
    ``entries[4](penalty-scjg).fields[3].type``.
    """
    if not isinstance(doc, dict):
        raise _bad("目录文件的顶层应为 JSON 对象", "document")
    _keys(doc, _DOC_KEYS, "")
    if doc.get("format") != CATALOG_FORMAT:
        raise _bad(f"目录文件格式应为 {CATALOG_FORMAT}", "format")
    title = _text(doc.get("title"), "title", max_len=200)
    edition = _text(doc.get("edition"), "edition", max_len=100)
    reason = _text(doc.get("skip_consultation_reason"), "skip_consultation_reason", max_len=2000)
    field_sets = doc.get("field_sets") or {}
    if not isinstance(field_sets, dict) or any(not isinstance(v, list) for v in field_sets.values()):
        raise _bad("字段组应为 {名称: [字段定义]} 对象", "field_sets")

    raw_departments = doc.get("departments")
    if not isinstance(raw_departments, list) or not raw_departments:
        raise _bad("部门列表应为非空列表", "departments")
    departments: list[dict[str, str]] = []
    for i, raw in enumerate(raw_departments):
        where = f"departments[{i}]"
        if not isinstance(raw, dict):
            raise _bad("部门应为对象", where)
        _keys(raw, _DEPT_KEYS, where)
        code = check_code(raw.get("code"), f"{where}.code")
        if any(d["code"] == code for d in departments):
            raise _bad(f"部门编码 {code} 重复", f"{where}.code")
        departments.append({
            "code": code,
            "name": _text(raw.get("name"), f"{where}.name", max_len=200),
            "uscc": check_uscc(raw.get("uscc"), f"{where}.uscc"),
            "district_code": check_district(raw.get("district_code", "330100"), f"{where}.district_code"),
        })
    known = {d["code"] for d in departments}

    raw_entries = doc.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise _bad("目录条目列表应为非空列表", "entries")
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_entries):
        where = f"entries[{i}]"
        if not isinstance(raw, dict):
            raise _bad("目录条目应为对象", where)
        code = check_code(raw.get("code"), f"{where}.code")
        where = f"entries[{i}]({code})"
        _keys(raw, _ENTRY_KEYS, where)
        if code in seen:
            raise _bad(f"目录编码 {code} 重复", f"{where}.code")
        seen.add(code)
        department = raw.get("department")
        if department not in known:
            raise _bad(f"提供单位 {department} 不在部门列表中", f"{where}.department")
        info_class = raw.get("info_class")
        if info_class not in INFO_CLASSES:
            raise _bad("信息类别应为 basic、adverse、trustworthy 之一", f"{where}.info_class")
        version = raw.get("version")
        if not isinstance(version, dict):
            raise _bad("应为版本内容对象", f"{where}.version")
        _keys(version, frozenset(CONTENT_KEYS), where)
        missing = [k for k in ("item", "subject_kinds", "open_level", "frequency", "fields", "natural_key",
                               "legal_basis") if k not in version]
        if missing:
            raise _bad(f"缺少 {'、'.join(missing)}", where)
        content_in = {k: version.get(k) for k in CONTENT_KEYS}
        content_in["fields"] = _expand_fields(version["fields"], field_sets, f"{where}.fields")
        for key, default in (("decision_date_field", ""), ("domain", ""), ("note", "")):
            if content_in[key] is None:
                content_in[key] = default
        try:
            content = validate_version_content(info_class=str(info_class), **content_in)
        except InvalidInput as exc:
            raise _bad(exc.message, f"{where}.{exc.field}" if exc.field else where) from exc
        entries.append({"code": code, "name": _text(raw.get("name"), f"{where}.name", max_len=200),
                        "department": str(department), "info_class": str(info_class), "content": content})
    return CatalogDocument(title=title, edition=edition, skip_consultation_reason=reason,
                           departments=departments, entries=entries)
