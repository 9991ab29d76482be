"""Pure rules about collected records (no ORM, no Django).

Field checkers are compiled once per catalog field (type dispatch happens here, once) and then
called per row; a checker returns the cleaned value or raises :class:`FieldError` with the
Chinese reason. ``collection.validation`` assembles them into a row validator.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import orjson

from pubcredit.catalog.rules import CONSENT_LABELS as CONSENT_LABELS
from pubcredit.codes import CodeError, is_known_province, mask_resident_id, validate_resident_id, validate_uscc
from pubcredit.codes.masking import mask_ids_in_text
from pubcredit.codes.uscc import CENTRAL_REGION_CODE, REGISTRATION_DEPARTMENTS, USCC_CHARSET
from pubcredit.textinput import NUL, NUL_REASON

# --- disclosure and content identity -------------------------------------------------------


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months; the 31st falls back to the month's last day."""
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def disclosure_end(decision: date | None, disclosure_months: int | None) -> date | None:
    """Last day an adverse record is disclosed (Art. 36; Zhejiang: 5 years from the finding).

    The period runs from the decision date; ``None`` when the entry sets no period or the
    record has no decision date (then it is disclosed until corrected or revoked).
    """
    if decision is None or not disclosure_months:
        return None
    return add_months(decision, disclosure_months)


def canonical_json(data: Mapping[str, Any]) -> str:
    """The canonical text of a record's content: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


_FLAT_TYPES: Final = frozenset({str, int, bool, type(None)})


def canonical_record_json(data: Mapping[str, Any]) -> str:
    """``canonical_json`` of a cleaned record (flat: text, integers, booleans), several times faster.

    orjson writes the same text for such values (pinned by tests over control characters, CJK,
    rare and astral characters); anything else — nesting, floats, dates, integers beyond 64 bits,
    unpaired surrogates — goes through ``canonical_json`` itself, so stored content hashes never
    depend on which path ran.
    """
    for value in data.values():
        if type(value) not in _FLAT_TYPES:
            return canonical_json(data)
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return canonical_json(data)


def content_hash(data: dict[str, Any]) -> str:
    """A stable digest of a record's content, for idempotent resends (same content, same hash)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def record_hash(data_json: str, subject_key: str) -> str:
    """The content hash of a collected record: its canonical data *and* the subject it is bound to.

    Two persons can share a masked ID (same region, same last four digits), so the keyed hash of
    the subject's code is part of the content: a correction that moves a record to another
    subject is a change even when the stored data reads the same.
    """
    return hashlib.sha256(f"{data_json}\n{subject_key}".encode()).hexdigest()


# --- natural keys ---------------------------------------------------------------------------

NATURAL_KEY_MAX: Final = 255

#: Catalog entries of market credit information (Art. 15, 17; docs/catalog.md): written by the
#: platform for the subject itself or for an authorised credit agency, never submitted by a
#: department, so they have no submission schedule to be late against.
SELF_DECLARED_ENTRY: Final = "market-self-declared"
AGENCY_SHARED_ENTRY: Final = "market-agency-shared"
MARKET_ENTRIES: Final = (SELF_DECLARED_ENTRY, AGENCY_SHARED_ENTRY)


def natural_key_string(parts: Sequence[str]) -> str:
    """The stored natural key of a record from its key fields' cleaned values (Art. 13).

    One field: the value itself (e.g. the penalty decision number). Several: the values joined
    by ``|`` with ``\\`` and ``|`` escaped, so that different tuples never give one key. A key
    longer than the column (255) is replaced by ``sha256:`` and its digest. Each value is read in
    its NFKC form: 杭市监罚〔２０２５〕１号 typed with full-width digits is the same decision as
    杭市监罚〔2025〕1号 (it became a second record — and a revoked one came back that way).
    """
    parts = [unicodedata.normalize("NFKC", p) for p in parts]
    escaped = (p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)
    key = parts[0] if len(parts) == 1 else "|".join(escaped)
    if len(key) > NATURAL_KEY_MAX:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


# --- field checkers -------------------------------------------------------------------------


class FieldError(ValueError):
    """A value breaks its field's rule; ``reason`` is the Chinese text shown to the submitter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Checker = Callable[[Any], Any]

_DATE_SEPARATED = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
TRUE_WORDS: Final = frozenset({"true", "1", "是", "y", "yes", "t"})
FALSE_WORDS: Final = frozenset({"false", "0", "否", "n", "no", "f"})


def shown(value: object, limit: int = 40) -> str:
    """A value quoted for a message, shortened so that a reason stays one readable line, with any
    resident ID number in it masked (reasons are stored and shown in clear, where a rejected row's
    personal values are encrypted: an ID typed into the wrong column must not end up there)."""
    text = mask_ids_in_text(str(value)[:limit + 20])  # masked before it is cut: no ID cut too short to mask
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


def as_text(value: object) -> str:
    """A submitted scalar as text (JSON numbers and booleans included); FieldError otherwise."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        text = repr(value)  # the shortest text that reads back as the same number…
        # …without an exponent: a JSON number or spreadsheet cell 0.00005 reads as 5e-05.
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise FieldError(f"应为单个取值，不能是{type(value).__name__}")


def _nfkc(text: str) -> str:
    # Full-width digits and letters typed with Chinese input methods; ASCII needs no work.
    return text if text.isascii() else unicodedata.normalize("NFKC", text).strip()


#: No credit record is dated before this: an earlier year is a typing error (0202 for 2022), and a
#: penalty dated in year 202 would be past its disclosure period at once — silently never shown.
EARLIEST_DATE: Final = date(1900, 1, 1)


def parse_date(value: object) -> date:
    """A date from ``YYYY-MM-DD`` (also ``/``, ``.``, ``年月日`` separators, or ``YYYYMMDD``), not
    before ``EARLIEST_DATE``."""
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        found = _parse_date_text(_nfkc(as_text(value)))
    if found < EARLIEST_DATE:
        raise FieldError(f"{found.isoformat()} 早于 {EARLIEST_DATE.isoformat()}，多为年份录入有误")
    return found


def _parse_date_text(text: str) -> date:
    try:
        if len(text) == 10 and text[4] == "-":
            return date.fromisoformat(text)
        match = _DATE_SEPARATED.match(text) or _DATE_COMPACT.match(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise FieldError(f"{shown(text)} 不是有效日期") from None
    raise FieldError(f"日期应为 YYYY-MM-DD 格式，实际为{shown(text)}")


def _string_checker(spec: Mapping[str, Any]) -> Checker:
    limit = spec.get("max_length")

    def check(value: Any) -> str:
        text = value.strip() if isinstance(value, str) else as_text(value)
        if NUL in text:  # the database cannot store it; other fields' types refuse it already
            raise FieldError(NUL_REASON)
        if limit is not None and len(text) > limit:
            raise FieldError(f"不能超过 {limit} 个字符，实际为 {len(text)} 个")
        return text

    return check


def is_free_text(spec: Mapping[str, Any]) -> bool:
    """Whether a field holds free text (a string or text field that is not personal): where a
    department may write a person's ID number into the facts of a case."""
    return spec.get("type") in ("string", "text") and not spec.get("personal")


def masking_text(check: Checker) -> Checker:
    """``check``, then every resident-ID-shaped number in the text masked (``330106********1234``).

    Personal information is encrypted at rest and masked in every view not entitled to it; free
    text cannot be encrypted field by field, so an ID number in it, however written, is masked before
    it is stored (``codes.masking.mask_ids_in_text``; the structured ID fields keep the number
    itself). Cheap for text without one: a length test and one regular-expression scan."""
    def check_and_mask(value: Any) -> Any:
        text = check(value)
        return mask_ids_in_text(text) if isinstance(text, str) else text

    return check_and_mask


def _date_checker(spec: Mapping[str, Any]) -> Checker:
    def check(value: Any) -> str:
        return parse_date(value).isoformat()

    return check


def _decimal_checker(spec: Mapping[str, Any]) -> Checker:
    max_digits = spec.get("max_digits")
    places = spec.get("decimal_places")

    def check(value: Any) -> str:
        text = _nfkc(as_text(value))
        if not _DECIMAL.match(text):
            raise FieldError(f"应为数字（不带千分位逗号和单位），实际为{shown(text)}")
        normal = Decimal(text).normalize()  # the regex admits finite numbers only
        if not normal:
            return "0"
        _sign, digits, exponent = normal.as_tuple()
        if not isinstance(exponent, int):  # pragma: no cover - the regex admits finite numbers only
            raise FieldError(f"应为数字，实际为{shown(text)}")
        if places is not None and -exponent > places:
            raise FieldError(f"最多 {places} 位小数，实际为{shown(text)}")
        if max_digits is not None:
            allowed_int = max_digits - (places or 0)
            if len(digits) + exponent > allowed_int:
                raise FieldError(f"整数部分最多 {allowed_int} 位，实际为{shown(text)}")
        return format(normal, "f")

    return check


#: The most digits an integer field holds: what PostgreSQL's bigint and most programs reading the
#: data back can hold exactly (Python's int() itself refuses a text of over 4,300 digits).
INTEGER_MAX_DIGITS: Final = 18


def _integer_checker(spec: Mapping[str, Any]) -> Checker:
    def check(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) >= 10**INTEGER_MAX_DIGITS:  # compared, not printed: str() of a huge int raises
                raise FieldError(f"整数最多 {INTEGER_MAX_DIGITS} 位，实际超过 {INTEGER_MAX_DIGITS} 位")
            return value
        text = _nfkc(as_text(value))
        if text.endswith(".0"):
            text = text[:-2]  # a whole number read from a spreadsheet cell as a float
        if not _INTEGER.match(text):
            raise FieldError(f"应为整数，实际为{shown(text)}")
        digits = len(text.lstrip("+-").lstrip("0"))
        if digits > INTEGER_MAX_DIGITS:
            raise FieldError(f"整数最多 {INTEGER_MAX_DIGITS} 位，实际为 {digits} 位")
        return int(text)

    return check


def _boolean_checker(spec: Mapping[str, Any]) -> Checker:
    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = as_text(value).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise FieldError(f"应为“是”或“否”（true/false），实际为{shown(text)}")

    return check


def _enum_checker(spec: Mapping[str, Any]) -> Checker:
    allowed = [str(a) for a in spec.get("allowed") or []]
    accepted = set(allowed)
    labels = {str(value): str(label) for value, label in (spec.get("allowed_labels") or {}).items()}
    by_label = {label: value for value, label in labels.items()}
    # Every code with its meaning (an officer cannot look 07 up), and that the meaning may be sent instead.
    shown_codes = [f"{a} {labels[a]}" if a in labels else a for a in allowed[:30]]
    listing = "、".join(shown_codes) + (f" 等 {len(allowed)} 个" if len(allowed) > 30 else "")
    if labels:
        listing += "；也可填写名称，如“" + next(iter(labels.values())) + "”"

    def check(value: Any) -> str:
        text = value.strip() if isinstance(value, str) else as_text(value)
        if text in accepted:
            return text
        if text in by_label:  # the label of a code, e.g. 罚款 for 02
            return by_label[text]
        raise FieldError(f"取值{shown(text)}不在允许的取值中（{listing}）")

    return check


_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUES: Final = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{18}$")
_USCC_PREFIXES: Final = frozenset(d + t for d, (_name, types) in REGISTRATION_DEPARTMENTS.items() for t in types)


def uscc_quick_accept(code: str) -> bool:
    """True only for a code :func:`pubcredit.codes.validate_uscc` certainly accepts (GB 32100).

    A fast path for bulk rows: shape, registration department and type, province, check
    character. False means "ask validate_uscc" (which gives the reason), never "invalid".
    """
    if not _USCC_SHAPE.match(code) or code[:2] not in _USCC_PREFIXES:
        return False
    region = code[2:8]
    if not region.isdigit() or not (region == CENTRAL_REGION_CODE or is_known_province(region)):
        return False
    values = _USCC_VALUES
    total = sum(values[ch] * w for ch, w in zip(code, _USCC_WEIGHTS))  # noqa: B905 - 17 weights, 18 chars
    return USCC_CHARSET[(31 - total) % 31] == code[17]


def _uscc_checker(spec: Mapping[str, Any]) -> Checker:
    special = frozenset(spec.get("special_values") or ())
    cache: dict[str, str] = {}  # codes recur (the deciding authority's own code on every row)

    def check(value: Any) -> str:
        text = value if isinstance(value, str) else as_text(value)
        hit = cache.get(text)
        if hit is not None:
            return hit
        upper = _nfkc(text.strip()).upper()
        if upper in special:
            return upper
        if uscc_quick_accept(upper):
            if len(cache) < 200_000:
                cache[text] = upper
            return upper
        try:
            code = validate_uscc(upper).code
        except CodeError as exc:
            raise FieldError(f"统一社会信用代码无效：{exc.message}") from None
        if len(cache) < 200_000:
            cache[text] = code
        return code

    return check


def resident_id_checker(today: date) -> Checker:
    """A checker returning the normalised resident ID (GB 11643) or raising FieldError."""

    def check(value: Any) -> str:
        text = value if isinstance(value, str) else as_text(value)
        try:
            return validate_resident_id(text, today=today).code
        except CodeError as exc:
            raise FieldError(f"身份证号码无效：{exc.message}") from None

    return check


def compile_field(spec: Mapping[str, Any], *, today: date) -> Checker:
    """The checker of one catalog field: type, length, allowed values, check characters.

    Called once per field when a version is compiled; the returned function is called per
    value (never with an empty value: required/required_if are checked by the row validator).
    """
    ftype = spec.get("type")
    if ftype in ("string", "text"):
        return _string_checker(spec)
    if ftype == "date":
        return _date_checker(spec)
    if ftype == "decimal":
        return _decimal_checker(spec)
    if ftype == "integer":
        return _integer_checker(spec)
    if ftype == "boolean":
        return _boolean_checker(spec)
    if ftype == "enum":
        return _enum_checker(spec)
    if ftype == "uscc":
        return _uscc_checker(spec)
    if ftype == "resident_id":
        special = frozenset(spec.get("special_values") or ())
        plain = resident_id_checker(today)

        def check_id(value: Any) -> str:
            text = as_text(value).upper()
            return text if text in special else str(plain(text))

        return check_id
    raise ValueError(f"unknown field type {ftype!r}")  # the catalog rules refuse these at definition


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- dates that must be ordered -------------------------------------------------------------

#: (start suffix, end suffix) pairs recognised in labels: 有效期自/有效期至, 起始日期/终止日期 …
_LABEL_PAIRS: Final = (("自", "至"), ("起", "止"), ("起始", "终止"), ("开始", "结束"), ("起始日期", "终止日期"),
                       ("开始日期", "结束日期"), ("起", "至"))
#: (start, end) name suffixes: the 双公示 XK_YXQZ/XK_YXQZI and ordinary English names.
_NAME_PAIRS: Final = (("_YXQZ", "_YXQZI"), ("_from", "_to"), ("_start", "_end"), ("start_", "end_"),
                      ("_from", "_until"))


def _pair_by(names: dict[str, str], start_suffix: str, end_suffix: str, *, prefix: bool) -> list[tuple[str, str]]:
    pairs = []
    for start_name, start_text in names.items():
        if prefix:
            if not start_text.startswith(start_suffix):
                continue
            stem = start_text[len(start_suffix):]
            wanted = end_suffix + stem
        else:
            if not start_text.endswith(start_suffix):
                continue
            stem = start_text[: len(start_text) - len(start_suffix)]
            wanted = stem + end_suffix
        for end_name, end_text in names.items():
            if end_name != start_name and end_text == wanted:
                pairs.append((start_name, end_name))
    return pairs


def date_pairs(fields: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Date fields that form a period, as (start field, end field): the end may not precede the start.

    Derived from the schema, so a new entry needs no code: labels that differ only by a
    trailing 自/至, 起/止, 起始/终止, 开始/结束 (营业期限自 / 营业期限至, 起始日期 / 终止日期), and
    names ``X_YXQZ``/``X_YXQZI`` (双公示 有效期自/至), ``x_from``/``x_to``, ``x_start``/``x_end``,
    ``start_x``/``end_x``.
    """
    dates = [f for f in fields if f.get("type") == "date"]
    labels = {str(f["name"]): str(f.get("label") or "") for f in dates}
    names = {str(f["name"]): str(f["name"]) for f in dates}
    found: list[tuple[str, str]] = []
    for start, end in _LABEL_PAIRS:
        found += _pair_by(labels, start, end, prefix=False)
        found += _pair_by(labels, start, end, prefix=True)
    for start, end in _NAME_PAIRS:
        found += _pair_by(names, start, end, prefix=start.endswith("_") and not start.startswith("_"))
    out: list[tuple[str, str]] = []
    for pair in found:
        if pair not in out and pair[0] != pair[1]:
            out.append(pair)
    return out


def validity_ends(fields: Iterable[Mapping[str, Any]], decision_field: str) -> list[str]:
    """Date fields that end the effect of a decision and so may not precede the decision date.

    Labels naming a validity or publicity end: 有效期 (but not 有效期自), 截止, 届满.
    """
    if not decision_field:
        return []
    out = []
    for f in fields:
        label = str(f.get("label") or "")
        if f.get("type") != "date" or f.get("name") == decision_field:
            continue
        if ("有效期" in label and not label.endswith("自")) or "截止" in label or "届满" in label:
            out.append(str(f["name"]))
    return out


# --- subjects -------------------------------------------------------------------------------

LEGAL_PERSON: Final = "legal_person"
UNINCORPORATED_ORG: Final = "unincorporated_org"
NATURAL_PERSON: Final = "natural_person"
KIND_LABELS: Final = {LEGAL_PERSON: "法人", UNINCORPORATED_ORG: "非法人组织", NATURAL_PERSON: "自然人"}

#: GB 32100 positions 1–2 that settle an organisation's kind (others may be either).
_USCC_KINDS: Final = {
    "92": (UNINCORPORATED_ORG,),  # 个体工商户
    "93": (LEGAL_PERSON,),  # 农民专业合作社
    "11": (LEGAL_PERSON,), "12": (LEGAL_PERSON,), "13": (LEGAL_PERSON,),  # 机关、事业单位、群众团体
    "51": (LEGAL_PERSON,), "52": (LEGAL_PERSON,), "53": (LEGAL_PERSON,),  # 社会团体、民办非企业、基金会
    "81": (LEGAL_PERSON,),  # 基层工会
    "N1": (LEGAL_PERSON,), "N2": (LEGAL_PERSON,), "N3": (LEGAL_PERSON,),  # 农村集体经济组织（特别法人）
}


def org_kinds_for_uscc(code: str) -> tuple[str, ...]:
    """The organisation kinds a USCC can belong to, from its registration department and type.

    Art. 3: legal persons and unincorporated organisations are both keyed by a USCC; only some
    type codes settle which (an enterprise, ``91``, may be a company or a partnership/branch).
    """
    return _USCC_KINDS.get(code[:2], (LEGAL_PERSON, UNINCORPORATED_ORG))


def org_kind_for_new_subject(code: str, entry_kinds: Sequence[str]) -> str | None:
    """The kind to register an unknown organisation under, or None if the entry covers none.

    The USCC's own kinds intersected with the entry's subject kinds; an enterprise code
    (either kind) defaults to legal person. The subject is created unverified, so an officer
    corrects the kind when verifying it.
    """
    kinds = [k for k in org_kinds_for_uscc(code) if k in entry_kinds]
    if not kinds:
        return None
    return LEGAL_PERSON if LEGAL_PERSON in kinds else kinds[0]


def kind_of_new_branch(code: str) -> str | None:
    """The kind to register an unknown branch (分支机构) under.

    Civil Code Art. 74: a legal person's branch is not itself a legal person (its civil
    liability is borne by the legal person), so a branch is an unincorporated organisation
    whenever its USCC allows that kind (an enterprise code, 91, does); otherwise the code's own
    kind. Created unverified, like any subject first named by a record (Art. 3).
    """
    kinds = org_kinds_for_uscc(code)
    if UNINCORPORATED_ORG in kinds:
        return UNINCORPORATED_ORG
    return org_kind_for_new_subject(code, kinds)


def looks_like_resident_id(text: str, today: date) -> bool:
    try:
        validate_resident_id(text, today=today)
    except CodeError:
        return False
    return True


def mask_personal(value: str) -> str:
    """A personal value as stored in a record: resident-ID shaped values keep region and last four."""
    return mask_resident_id(value)


# --- relations from basic-information entries (Art. 10, 26) --------------------------------

#: 职务 (the org-officers enum) → the subject relation role.
POSITION_ROLES: Final = {
    "董事长": "director", "副董事长": "director", "董事": "director", "执行董事": "director",
    "监事会主席": "supervisor", "监事": "supervisor",
    "经理": "manager", "总经理": "manager", "副经理": "manager", "财务负责人": "manager",
    "董事会秘书": "manager", "其他高级管理人员": "manager",
}


#: Roles one person holds at a time in an organisation (see :func:`held_alone`).
SINGLE_HOLDER_ROLES: Final = ("legal_rep", "principal")


def relates_from(kind: str) -> bool:
    """Whether a basic-information row about a subject of ``kind`` establishes relations.

    Art. 10, 26: the legal representative, principal, officers and branches are related to an
    organisation. A row about a natural person has no organisation to relate anyone to: the
    persons it names are neither related nor registered.
    """
    return kind != NATURAL_PERSON


def relation_role(role: str, organization_kind: str) -> str:
    """The role a relation named in a row takes for an organisation of ``organization_kind``.

    Art. 10, 26 (and Civil Code Art. 61): a legal person has a legal representative; an
    unincorporated organisation has a principal (负责人) instead.
    """
    if role == "legal_rep" and organization_kind == UNINCORPORATED_ORG:
        return "principal"
    return role


def held_alone(role: str) -> bool:
    """Whether one person at a time holds ``role`` in an organisation.

    Civil Code Art. 61: the legal representative is the one person who acts for the legal
    person; the principal (负责人) registered for an unincorporated organisation or a branch is
    likewise one person. Art. 10, 26 of the regulation relate them to the organisation. A newly
    named holder ends the previous one; several directors, supervisors or managers coexist.
    """
    return role in SINGLE_HOLDER_ROLES


@dataclass(frozen=True)
class RelationSpec:
    """How a basic-information entry names a related subject in its rows.

    ``role`` is fixed (``legal_rep``, ``branch``) or taken from ``role_field`` through
    :data:`POSITION_ROLES`; the related subject is a person (``id_field`` holds a resident ID)
    or an organisation (``code_field`` holds a USCC).
    """

    role: str
    name_field: str
    id_field: str = ""
    code_field: str = ""
    role_field: str = ""


def relation_specs(fields: Sequence[Mapping[str, Any]], info_class: str) -> list[RelationSpec]:
    """The relations a basic-information entry's rows establish (Art. 10, 26), read from its schema.

    * officers: a ``person_name`` with ``person_id_no`` and a ``position`` (org-officers);
    * the legal representative: a field labelled 法定代表人 with a 法定代表人证件号码 field
      (or ``legal_rep`` / ``legal_rep_id_no`` by name);
    * branches: ``branch_uscc`` with ``branch_name``.
    A person is related only when the row carries a valid resident ID: a bare name does not
    identify anybody, so no person is invented. Other classes establish no relations.
    """
    if info_class != "basic":
        return []
    by_name = {str(f["name"]): f for f in fields}
    by_label = {str(f.get("label") or ""): str(f["name"]) for f in fields}
    out: list[RelationSpec] = []
    if {"person_name", "person_id_no", "position"} <= by_name.keys():
        out.append(RelationSpec(role="", name_field="person_name", id_field="person_id_no", role_field="position"))
    rep_name = by_label.get("法定代表人") or by_label.get("法定代表人（负责人、经营者）") or (
        "legal_rep" if "legal_rep" in by_name else "")
    rep_id = by_label.get("法定代表人证件号码") or ("legal_rep_id_no" if "legal_rep_id_no" in by_name else "")
    if rep_name and rep_id:
        out.append(RelationSpec(role="legal_rep", name_field=rep_name, id_field=rep_id))
    if "branch_uscc" in by_name:
        out.append(RelationSpec(role="branch", name_field="branch_name" if "branch_name" in by_name else "",
                                code_field="branch_uscc"))
    return out


# --- rejected rows --------------------------------------------------------------------------

#: Columns added to a rejected-rows CSV after the original ones.
REJECTION_COLUMNS: Final = ("行号", "字段", "原因")


def consent_label(category: str) -> str:
    """The Chinese name of an Art. 37 para. 3 consent category (纳税数额, 财产取得、处分)."""
    return CONSENT_LABELS.get(category, category)


def consent_day(*, today: date) -> date:
    """Art. 37 para. 3: the day a written consent must be valid on for a row to be collected — the day
    of collection (不得采集 without consent is about the act of collecting). A consent that has
    expired or been withdrawn by then covers nothing, even for a decision taken while it ran; one
    given after the decision covers it, being in force when the platform collects."""
    return today


def consent_valid_on(periods: Iterable[tuple[date, date | None]], on: date) -> bool:
    """Art. 37 para. 3: whether one of the person's written consents (given, expires) covers ``on``."""
    return any(given <= on and (expires is None or on <= expires) for given, expires in periods)
