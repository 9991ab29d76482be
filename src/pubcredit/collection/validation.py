"""Row validation against a published catalog version (Art. 13, 37).

:func:`compile_version` turns a version into a :class:`RowValidator`: the type dispatch of
every field happens once (``collection.rules.compile_field``); a row then runs through a list
of closures. The validator returns a :class:`CleanRow` — typed, normalised values ready to
store, the natural key, the subject's identity — or the list of :class:`RowError` that reject
the row whole. What it needs from the database (consents, revoked keys) is read in bulk when
it is compiled, never per row.

Personal information (resident IDs and fields marked ``personal``) is never stored in clear:
the stored data holds the masked value, the subject is linked by the keyed hash, and a
rejected row keeps such values encrypted (:func:`protect_raw`).
"""

from __future__ import annotations

import base64
import binascii
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from pubcredit.catalog.models import CatalogVersion
from pubcredit.catalog.rules import PROHIBITED_LABELS, prohibited_category
from pubcredit.codes import NO_CODE_PLACEHOLDER
from pubcredit.codes.pii import PiiDecryptError
from pubcredit.collection import rules
from pubcredit.collection.models import Consent, Record, RecordStatus
from pubcredit.collection.readers import ROW_PROBLEM
from pubcredit.collection.rules import (
    LEGAL_PERSON,
    NATURAL_PERSON,
    UNINCORPORATED_ORG,
    FieldError,
    RelationSpec,
    is_empty,
)
from pubcredit.errors import InvalidInput
from pubcredit.subjects import pii
from pubcredit.textinput import storable

ORG_KINDS = (LEGAL_PERSON, UNINCORPORATED_ORG)
_ENC_PREFIX = "enc:"
_ENC_ESCAPE = "enc::"  # a text value that starts with "enc:" as sent (protect_raw)


@dataclass(frozen=True, slots=True)
class RowError:
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Relation:
    """A related subject named in a basic-information row: a person (by ID) or a branch (by USCC)."""

    role: str
    name: str
    uscc: str | None = None
    resident_id: str | None = None  # clear, in memory only: to register an unknown person
    id_hash: str | None = None

    def __repr__(self) -> str:
        return f"Relation({self.role!r}, {self.name!r}, uscc={self.uscc!r}, id_hash={self.id_hash!r})"


@dataclass(slots=True, repr=False)
class CleanRow:
    """An accepted row: what is stored, and who it is about."""

    row_number: int
    data: dict[str, Any]
    data_json: str
    content_hash: str
    natural_key: str
    decision_date: date | None
    disclosure_until: date | None
    kind: str
    uscc: str | None
    id_hash: str | None
    resident_id: str | None  # clear, in memory only
    name: str
    relations: tuple[Relation, ...] = ()

    def __repr__(self) -> str:
        return f"CleanRow(row={self.row_number}, key={self.natural_key!r}, kind={self.kind})"


@dataclass
class ConsentBook:
    """Recorded written consents (Art. 37 para. 3), by person hash and category: (given, expires)."""

    periods: dict[tuple[str, str], list[tuple[date, date | None]]] = field(default_factory=dict)

    def covers(self, id_hash: str, category: str, on: date) -> bool:
        return rules.consent_valid_on(self.periods.get((id_hash, category), ()), on)


def _label(spec: Mapping[str, Any]) -> str:
    return f"{spec['name']}（{spec.get('label') or spec['name']}）"


def _companion_type_field(id_field: str, names: Iterable[str]) -> str | None:
    """The 证件类型 field beside a 证件号码 field (CF_XDR_ZJHM → CF_XDR_ZJLX)."""
    if "ZJHM" in id_field:
        candidate = id_field.replace("ZJHM", "ZJLX")
        return candidate if candidate in names else None
    return None


class RowValidator:
    """Validates rows of one batch against one published catalog version.

    Stateful for one batch: it remembers each natural key's first row, so the later of two
    rows with the same key is rejected naming the earlier one.
    """

    def __init__(self, version: CatalogVersion, *, today: date, info_class: str, consents: ConsentBook,
                 revoked: Mapping[str, str], hash_id: Callable[[str], str]) -> None:
        self.version = version
        self.today = today
        self.info_class = info_class
        self.consents = consents
        self.revoked = revoked
        self.hash_id = hash_id
        specs: list[dict[str, Any]] = list(version.fields or [])
        self.specs = {str(s["name"]): s for s in specs}
        self.kinds = tuple(version.subject_kinds or ())
        self.org_kinds = tuple(k for k in self.kinds if k in ORG_KINDS)
        sf = dict(version.subject_fields or {})
        self.uscc_field: str = sf.get("uscc", "")
        self.rid_field: str = sf.get("resident_id", "")
        self.name_field: str = sf.get("name", "")
        self.rid_type_field = _companion_type_field(self.rid_field, self.specs) if self.rid_field else None
        self.decision_field = version.decision_date_field or ""
        self.disclosure_months = version.disclosure_months
        self.key_fields = list(version.natural_key or [])
        # Compiled once: (name, checker); personal fields are checked as text and masked.
        self.checkers: list[tuple[str, rules.Checker]] = [
            (name, rules.compile_field(spec, today=today)) for name, spec in self.specs.items()]
        # Free text (facts, reasons, remarks) is published as sent: resident ID numbers in it are masked
        # before they are stored. Keys and the subject's own fields are identifiers, kept exactly.
        exact = {*self.key_fields, *sf.values()}
        self.checkers = [(name, rules.masking_text(check) if rules.is_free_text(self.specs[name]) and name not in exact
                          else check) for name, check in self.checkers]
        self.resident_check = rules.resident_id_checker(today)
        self.required = [name for name, s in self.specs.items() if s.get("required")]
        self.required_if = [(name, str(s["required_if"]["field"]), frozenset(s["required_if"]["in"]))
                            for name, s in self.specs.items() if s.get("required_if")]
        self.personal = [name for name, s in self.specs.items() if s.get("personal") or s["type"] == "resident_id"]
        self.personal_set = frozenset(self.personal)
        self.consent_fields = [(name, str(s.get("consent_category") or "")) for name, s in self.specs.items()
                               if s.get("consent_required")]
        self.pairs = rules.date_pairs(specs)
        self.validity_ends = rules.validity_ends(specs, self.decision_field)
        self.relation_specs: list[RelationSpec] = rules.relation_specs(specs, info_class)
        # Column headers may be the field names (any case) or their Chinese labels.
        self.columns: dict[str, str] = {}
        for name in self.specs:
            self.columns[name] = name
            self.columns.setdefault(name.lower(), name)
            self.columns.setdefault(name.upper(), name)
        self._folded = {name.casefold(): name for name in self.specs}
        labels: dict[str, list[str]] = {}
        for name, spec in self.specs.items():
            labels.setdefault(str(spec.get("label") or ""), []).append(name)
        for label, names in labels.items():
            if label and len(names) == 1:
                self.columns.setdefault(label, names[0])
        self._seen: dict[str, int] = {}

    # --- columns ----------------------------------------------------------------------------

    def field_of(self, column: str) -> str | None:
        """The field a submitted column names: the field's name in any case (``CF_WSH``, ``cf_wsh``,
        ``Cf_Wsh``), or its Chinese label; surrounding spaces ignored. None for any other column."""
        return (self.columns.get(column) or self.columns.get(column.strip())
                or self._folded.get(column.strip().casefold()))

    def column_map(self, columns: Iterable[str]) -> dict[str, str]:
        """Map submitted column names to field names; InvalidInput naming unknown columns.

        The catalog is the contract: a column that is not a field of the version rejects the
        whole file, and one whose name falls in an Art. 37 prohibited category says so. The
        three columns the rejected-rows file adds (行号, 字段, 原因: ``rules.REJECTION_COLUMNS``)
        are left out of the map, unless a field has that label: the department fixes that file and
        sends it back as it is.
        """
        mapping: dict[str, str] = {}
        unknown: list[str] = []
        prohibited: list[str] = []
        for column in columns:
            if column == ROW_PROBLEM:
                continue
            name = self.field_of(column)
            if name is None and column.strip() in rules.REJECTION_COLUMNS:
                continue  # 行号/字段/原因 of a rejected-rows file sent back fixed: read, never stored
            if name is None:
                category = prohibited_category({"name": column, "label": column})
                (prohibited if category else unknown).append(
                    f"{column}（{PROHIBITED_LABELS[category]}）" if category else column)
                continue
            if name in mapping.values():
                raise InvalidInput(f"列 {column} 与另一列都对应字段 {name}", field="columns")
            mapping[column] = name
        if prohibited:
            raise InvalidInput(f"含有依《杭州市社会信用条例》第三十七条禁止采集的列：{'、'.join(prohibited)}；"
                               "这些信息不得报送", field="columns")
        if unknown:
            shown = "、".join(unknown[:10]) + (f" 等 {len(unknown)} 列" if len(unknown) > 10 else "")
            raise InvalidInput(f"含有归集目录 {self.version.entry.code} 第 {self.version.number} 版中没有的列："
                               f"{shown}（目录字段：{'、'.join(list(self.specs)[:8])}…）", field="columns")
        return mapping

    # --- rows -------------------------------------------------------------------------------

    def _err(self, name: str, reason: str) -> RowError:
        spec = self.specs.get(name)
        return RowError(name, f"{_label(spec)}：{reason}" if spec else reason)

    def __call__(self, row_number: int, raw: Mapping[str, Any]) -> CleanRow | list[RowError]:
        """Validate one row (keys are field names); a CleanRow, or every error found in it."""
        problem = raw.get(ROW_PROBLEM)
        if problem is not None:
            return [RowError("", str(problem))]
        cleaned: dict[str, Any] = {}
        errors: list[RowError] = []
        for name, check in self.checkers:
            value = raw.get(name)
            if value is None or value == "" or (type(value) is str and value.isspace()):
                continue
            try:
                cleaned[name] = check(value)
            except FieldError as exc:
                errors.append(self._field_error(name, value, exc))
        failed = {e.field for e in errors}
        for name in self.required:
            if name not in cleaned and name not in failed:
                errors.append(self._err(name, "必填项，不能为空"))
        for name, other, values in self.required_if:
            if name not in cleaned and name not in failed and cleaned.get(other) in values:
                errors.append(self._err(name, f"当 {_label(self.specs[other])} 为“{cleaned[other]}”时必填"))
        if errors:
            return errors
        decision: date | None = None
        if self.decision_field and self.decision_field in cleaned:
            decision = date.fromisoformat(cleaned[self.decision_field])
            if decision > self.today:
                errors.append(self._err(self.decision_field,
                                        f"决定日期 {decision.isoformat()} 晚于今天（{self.today.isoformat()}）"))
        for start, end in self.pairs:
            if start in cleaned and end in cleaned and cleaned[end] < cleaned[start]:
                errors.append(self._err(end, f"{cleaned[end]} 早于 {_label(self.specs[start])} {cleaned[start]}"))
        if decision is not None:
            for end in self.validity_ends:
                if end in cleaned and cleaned[end] < cleaned[self.decision_field]:
                    errors.append(self._err(end, f"{cleaned[end]} 早于决定日期 {cleaned[self.decision_field]}"))
        if errors:
            return errors
        return self._bind(row_number, raw, cleaned, decision)

    def _field_error(self, name: str, value: Any, exc: FieldError) -> RowError:
        # A resident ID typed into an organisation-only entry's USCC column: say so plainly.
        if name == self.uscc_field and isinstance(value, str) and rules.looks_like_resident_id(value, self.today):
            if NATURAL_PERSON not in self.kinds:
                kinds = "、".join(rules.KIND_LABELS[k] for k in self.kinds)
                return self._err(name, f"填写的是居民身份证号码：本目录条目只适用于{kinds}，不能报送自然人")
            return self._err(name, f"填写的是居民身份证号码，自然人的身份证号码应填写在 {self.rid_field}")
        return self._err(name, exc.reason)

    def _bind(self, row_number: int, raw: Mapping[str, Any], cleaned: dict[str, Any],
              decision: date | None) -> CleanRow | list[RowError]:
        uscc = cleaned.get(self.uscc_field) if self.uscc_field else None
        rid_value = cleaned.get(self.rid_field) if self.rid_field else None
        name = str(cleaned.get(self.name_field) or "") if self.name_field else ""
        resident_id: str | None = None
        id_hash: str | None = None
        if uscc == NO_CODE_PLACEHOLDER:
            return [self._err(self.uscc_field,
                              f"填写了无统一社会信用代码的占位值 {NO_CODE_PLACEHOLDER}："
                              "平台按统一社会信用代码识别主体，暂不能仅凭工商注册号关联个体工商户，"
                              "请填写其统一社会信用代码后重报")]
        if uscc:
            kinds = [k for k in rules.org_kinds_for_uscc(uscc) if k in self.kinds]
            if not kinds:
                told = "、".join(rules.KIND_LABELS[k] for k in rules.org_kinds_for_uscc(uscc))
                allowed = "、".join(rules.KIND_LABELS[k] for k in self.kinds)
                return [self._err(self.uscc_field, f"代码 {uscc} 属于{told}，本目录条目只适用于{allowed}")]
            kind = rules.org_kind_for_new_subject(uscc, self.kinds) or kinds[0]
        elif rid_value:
            if NATURAL_PERSON not in self.kinds:
                return [self._err(self.rid_field, "本目录条目不适用于自然人")]
            doc_type = cleaned.get(self.rid_type_field) if self.rid_type_field else None
            if doc_type and "身份证" not in str(doc_type):
                return [self._err(self.rid_type_field or self.rid_field,
                                  f"证件类型为“{doc_type}”：平台目前只能按居民身份证号码识别自然人，"
                                  "其他证件的自然人暂不能归集")]
            try:
                resident_id = str(self.resident_check(rid_value))
            except FieldError as exc:
                return [self._err(self.rid_field, exc.reason)]
            id_hash = self.hash_id(resident_id)
            kind = NATURAL_PERSON
        else:
            wanted = [f for f in (self.uscc_field, self.rid_field) if f]
            return [self._err(wanted[0] if wanted else "",
                              "缺少主体代码：应填写" + "或".join(_label(self.specs[f]) for f in wanted))]
        errors: list[RowError] = []
        if kind == NATURAL_PERSON and self.consent_fields:
            on = rules.consent_day(today=self.today)
            for fname, category in self.consent_fields:
                if fname in cleaned and not self.consents.covers(id_hash or "", category, on):
                    what = rules.consent_label(category)
                    errors.append(self._err(fname, f"属于须经本人书面同意方可归集的{what}信息（第三十七条第三款），"
                                                   f"平台未登记该自然人在 {on.isoformat()} 有效的书面同意，不予归集"))
        if errors:
            return errors
        relations = self._relations(cleaned) if self.relation_specs and rules.relates_from(kind) else ()
        # The natural key: a personal value enters it only as its keyed hash.
        parts = []
        for key_field in self.key_fields:
            value = cleaned[key_field]
            if key_field in self.personal_set:
                value = id_hash if (key_field == self.rid_field and id_hash) else self.hash_id(str(value))
            elif isinstance(value, str):
                # Stored as the key reads it (rules.natural_key_string): 〔２０２５〕 and 〔2025〕 are one
                # decision, and the same row sent either way is unchanged, not a new version.
                value = cleaned[key_field] = unicodedata.normalize("NFKC", value)
            parts.append(str(value))
        natural_key = rules.natural_key_string(parts)
        revoked = self.revoked.get(natural_key)
        if revoked is not None:
            return [self._err(self.key_fields[0], f"业务主键相同的记录已于 {revoked} 撤销，撤销的记录不能通过重报恢复；"
                                                  "如属新的决定，请使用新的文号")]
        earlier = self._seen.get(natural_key)
        if earlier is not None:
            return [self._err(self.key_fields[0], f"与本批第 {earlier} 条数据的业务主键相同（同一批次内重复）")]
        self._seen[natural_key] = row_number
        for pname in self.personal:
            if pname in cleaned:
                cleaned[pname] = rules.mask_personal(self._normal_personal(pname, cleaned[pname], resident_id))
        data_json = rules.canonical_record_json(cleaned)
        disclosure = rules.disclosure_end(decision, self.disclosure_months) if self.info_class == "adverse" else None
        return CleanRow(row_number=row_number, data=cleaned, data_json=data_json,
                        content_hash=rules.record_hash(data_json, uscc or id_hash or ""), natural_key=natural_key,
                        decision_date=decision, disclosure_until=disclosure, kind=kind, uscc=uscc or None,
                        id_hash=id_hash, resident_id=resident_id, name=name, relations=relations)

    def _normal_personal(self, name: str, value: Any, resident_id: str | None) -> str:
        """A personal value as it is stored (then masked): a resident ID in its one spelling
        (half-width, upper-case X), whichever way it was typed, so that 192x, 192X and
        full-width １９２Ｘ are the same content and never a new version; anything else as sent."""
        if name == self.rid_field and resident_id is not None:
            return resident_id
        text = str(value)
        if len(text) >= 18:  # a resident ID of a related person (a legal representative's…)
            try:
                return str(self.resident_check(text))
            except FieldError:
                pass
        return text

    def _relations(self, cleaned: Mapping[str, Any]) -> tuple[Relation, ...]:
        out: list[Relation] = []
        for spec in self.relation_specs:
            name = str(cleaned.get(spec.name_field) or "") if spec.name_field else ""
            if spec.code_field:
                code = cleaned.get(spec.code_field)
                if code and code != NO_CODE_PLACEHOLDER:
                    out.append(Relation(role=spec.role, name=name, uscc=str(code)))
                continue
            role = rules.POSITION_ROLES.get(str(cleaned.get(spec.role_field) or "")) if spec.role_field else spec.role
            value = cleaned.get(spec.id_field)
            if not role or not value or not name:
                continue
            try:
                rid = str(self.resident_check(value))
            except FieldError:
                continue  # a passport or a wrong number: no person is invented from a bare name
            out.append(Relation(role=role, name=name, resident_id=rid, id_hash=self.hash_id(rid)))
        return tuple(out)


def compile_version(version: CatalogVersion, *, today: date | None = None) -> RowValidator:
    """A row validator for a published version, with consents and revoked keys read in bulk.

    At most two queries, whatever the batch size: the written consents of the categories the
    version's fields need (Art. 37 para. 3, only if it covers natural persons) and the natural
    keys of the entry whose record was revoked.
    """
    day = today or timezone.localdate()
    specs = list(version.fields or [])
    categories = sorted({str(s.get("consent_category") or "") for s in specs if s.get("consent_required")})
    book = ConsentBook()
    if categories and NATURAL_PERSON in (version.subject_kinds or ()):
        rows = (Consent.objects.filter(category__in=categories, withdrawn_at__isnull=True,
                                       subject__resident_id_hash__isnull=False)
                .values_list("subject__resident_id_hash", "category", "given_on", "expires_on"))
        for id_hash, category, given, expires in rows:
            book.periods.setdefault((str(id_hash), category), []).append((given, expires))
    return RowValidator(version, today=day, info_class=version.entry.info_class, consents=book,
                        revoked=revoked_keys(version.entry_id), hash_id=pii.resident_id_hash)


def revoked_keys(entry_id: int) -> dict[str, str]:
    """The natural keys of an entry whose record was revoked (and not active again), with the day
    of the revocation: a resend of one is refused. A batch reads them again once it holds its
    entry's lock (``services._process``), which a revocation takes too: one that commits while the
    batch waits is seen."""
    revoked: dict[str, str] = {}
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT r.natural_key, max(r.status_changed_at) FROM {Record._meta.db_table} r
                WHERE r.entry_id = %s AND r.status = %s AND NOT EXISTS (
                    SELECT 1 FROM {Record._meta.db_table} a
                    WHERE a.entry_id = r.entry_id AND a.natural_key = r.natural_key AND a.status = %s)
                GROUP BY r.natural_key""",
            [entry_id, RecordStatus.REVOKED, RecordStatus.ACTIVE])
        for key, at in cur.fetchall():
            revoked[str(key)] = timezone.localtime(at).date().isoformat() if at else "此前"
    return revoked


def protect_raw(raw: Mapping[str, Any], personal: Iterable[str]) -> dict[str, Any]:
    """A rejected row as it will be stored: personal values encrypted, everything else as sent
    (NaN and infinity, which jsonb cannot hold, as their text; a spreadsheet's date cell as
    ``YYYY-MM-DD``, which the validator reads back, not Python's ``2025-03-03 00:00:00``).

    An encrypted value is ``enc:`` and base64; a value sent as text that starts with ``enc:``
    itself is kept as ``enc::`` and the text (base64 has no colon), so it is never taken for one.
    """
    keep = frozenset(personal)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == ROW_PROBLEM:
            continue
        if key in keep and not is_empty(value):
            blob = pii.encrypt_resident_id(str(value))
            out[storable(key)] = _ENC_PREFIX + base64.b64encode(blob).decode("ascii")
        elif value is None or isinstance(value, int | bool) or (isinstance(value, float) and math.isfinite(value)):
            out[storable(key)] = value
        elif isinstance(value, date):
            out[storable(key)] = rules.as_text(value)
        else:  # text as sent, but what jsonb cannot hold (NUL, a lone surrogate) as U+FFFD
            text = storable(value if isinstance(value, str) else str(value))
            out[storable(key)] = _ENC_ESCAPE + text if text.startswith(_ENC_PREFIX) else text
    return out


def reveal_raw(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The row as the department sent it (for its own rejected-rows file): personal values decrypted.

    A value that only looks encrypted (kept before ``enc::`` escaping existed) is shown as stored."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value.startswith(_ENC_ESCAPE):
            out[key] = value[len(_ENC_ESCAPE):]
        elif isinstance(value, str) and value.startswith(_ENC_PREFIX):
            try:
                out[key] = pii.decrypt_resident_id(base64.b64decode(value[len(_ENC_PREFIX):], validate=True))
            except (binascii.Error, ValueError, PiiDecryptError):
                out[key] = value
        else:
            out[key] = value
    return out
