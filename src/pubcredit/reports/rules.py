"""Pure rules of the public credit information report (Art. 33, 40). No ORM, no Django.

- the report's content and its canonical form: what is digested and signed;
- verification codes: 16 random characters of Crockford's base-32 alphabet, typed in groups;
- which section of the report a record belongs to;
- the special credit report (专项信用报告): its classes and which catalog entries feed each,
  the period rule, and the sentence stated class by class.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime
from typing import Any, Final, Protocol, TypeVar

import orjson

# --- content, canonical form, digest, signed message --------------------------------------

REPORT_FORMAT: Final = "pubcredit.report/1"
#: The signed message's format: v2 since session 11 (it also covers what the verify page shows of
#: the report: kind, information date, reader basis, subject name, parameters); v1 before.
SIGNATURE_CONTEXT: Final = "pubcredit-report-v2"
SIGNATURE_CONTEXT_V1: Final = "pubcredit-report-v1"


def canonical_json(content: Mapping[str, Any]) -> str:
    """The canonical text of a report's content: keys sorted, no spaces, characters kept (UTF-8).

    Only JSON types are allowed (dates are already ISO strings): anything else is a bug and
    raises ``TypeError`` rather than being silently stringified.
    """
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the report content, UTF-8 encoded."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


# Dates and dataclasses are refused as by ``json``; subclasses of str and int (Django's choices) are
# written as their value, as ``json`` writes them.
_ORJSON_CANONICAL: Final = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _not_json(value: object) -> Any:
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def canonical_bytes(content: Mapping[str, Any]) -> bytes:
    """``canonical_json(content).encode("utf-8")``, several times faster: what issuing digests, and
    what the JSON answer embeds as its ``content``.

    For a report's content (``Report.content()``: strings, integers, booleans, null, lists and
    objects with string keys — never floats) the bytes are identical to ``canonical_json``'s
    (pinned by tests); anything outside JSON raises ``TypeError`` as ``canonical_json`` does.
    """
    return orjson.dumps(content, default=_not_json, option=_ORJSON_CANONICAL)


def digest_of(canonical: bytes) -> str:
    """SHA-256 (hex) of canonical bytes (``canonical_bytes``): the report's content digest."""
    return hashlib.sha256(canonical).hexdigest()


def issued_at_text(at: datetime) -> str:
    """The issue time as signed: UTC, whole seconds, ``2026-11-25T13:56:58Z``."""
    if at.tzinfo is None:
        raise ValueError("issue time must be timezone-aware")
    return at.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _escaped(text: str) -> str:
    """A free-text part of the signed message: ``%`` and ``|`` percent-encoded, nothing else."""
    return text.replace("%", "%25").replace("|", "%7C")


def signed_message(*, code: str, digest: str, subject_code: str, issued_at: datetime, kind: str, as_of: date,
                   reader_basis: str, subject_name: str, parameters: Mapping[str, Any]) -> bytes:
    """The bytes the platform signs for one issued report (Art. 40 anti-forgery), ``|``-separated, UTF-8:

    ``pubcredit-report-v2|<code XXXX-XXXX-XXXX-XXXX>|<sha256 hex>|<subject code as published>|<UTC time>|``
    ``<kind>|<information date YYYY-MM-DD>|<reader basis>|<subject name as published>|<parameters>``

    — everything the verify page vouches for: the subject code and name as published (a person's
    masked), the parameters as canonical JSON (``{}`` for a full report). In the name and the
    parameters ``%`` and ``|`` are percent-encoded. Reports issued before v2 were signed over the
    first five parts only (``signed_message_v1``).
    """
    parts = (SIGNATURE_CONTEXT, format_verification_code(code), digest, subject_code, issued_at_text(issued_at),
             kind, as_of.isoformat(), reader_basis)
    if any("|" in p for p in parts):
        raise ValueError("a signed field contains '|'")
    free = (_escaped(subject_name), _escaped(canonical_json(parameters)))
    return "|".join((*parts, *free)).encode("utf-8")


SIGNATURE_FORMAT: Final = 2  # what new reports are signed in (IssuedReport.signature_format)


def signed_message_of(row: Any) -> bytes:
    """The message an issued report's signature is over, in the format it was signed in (an
    ``IssuedReport``: ``signature_format`` 2, ``signed_message``; 1, ``signed_message_v1``)."""
    if row.signature_format == 1:
        return signed_message_v1(code=row.code, digest=row.content_digest, subject_code=row.subject_code_public,
                                 issued_at=row.issued_at)
    return signed_message(code=row.code, digest=row.content_digest, subject_code=row.subject_code_public,
                          issued_at=row.issued_at, kind=row.kind, as_of=row.as_of, reader_basis=row.reader_basis,
                          subject_name=row.subject_name_public, parameters=row.parameters or {})


def signed_message_v1(*, code: str, digest: str, subject_code: str, issued_at: datetime) -> bytes:
    """The message reports issued before v2 were signed over (still verified):
    ``pubcredit-report-v1|<code>|<sha256 hex>|<subject code as published>|<UTC time>``."""
    parts = (SIGNATURE_CONTEXT_V1, format_verification_code(code), digest, subject_code, issued_at_text(issued_at))
    if any("|" in p for p in parts):
        raise ValueError("a signed field contains '|'")
    return "|".join(parts).encode("utf-8")


# --- verification codes ---------------------------------------------------------------------

#: Crockford's base 32: digits and capitals without I, L, O, U (never mistaken for 1, 1, 0, V).
CODE_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH: Final = 16  # 80 random bits: guessing an issued code is hopeless
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_verification_code() -> str:
    """A fresh random code, 16 characters, stored without separators: 80 bits from the system's
    random source (one read, not one per character), five bits per character."""
    bits = int.from_bytes(secrets.token_bytes(CODE_LENGTH * 5 // 8), "big")
    return "".join(CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(CODE_LENGTH))


_DASHES: Final = {ord(c): None for c in "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"}


def normalize_verification_code(raw: str) -> str | None:
    """The stored form of a typed code, or None if it cannot be one.

    Case, spaces and hyphens (any dash) are ignored, full-width characters (a Chinese input method)
    read as their ASCII forms; O, I and L are read as 0, 1 and 1 (as Crockford intends), so a code
    read aloud or copied by hand still matches.
    """
    text = unicodedata.normalize("NFKC", (raw or "")[:200])
    text = "".join(text.split()).translate(_DASHES).upper().translate(_CONFUSABLE)
    if len(text) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in text):
        return None
    return text


def format_verification_code(code: str) -> str:
    """``XXXXXXXXXXXXXXXX`` → ``XXXX-XXXX-XXXX-XXXX`` (already grouped codes are kept)."""
    plain = code.replace("-", "")
    return "-".join(plain[i:i + 4] for i in range(0, len(plain), 4))


# --- report shape ---------------------------------------------------------------------------

class ReportKind:
    FULL: Final = "full"
    SPECIAL: Final = "special"


KIND_TITLES: Final = {ReportKind.FULL: "公共信用信息报告", ReportKind.SPECIAL: "专项信用报告"}

LEVEL_LABELS: Final = {"public": "社会公开", "authorized": "授权查询", "internal": "政府内部应用"}

#: Sections of the full report, after the 公共信用信息报告标准 (2022) grouping, in order.
SECTION_TITLES: Final = {
    "basic": "身份和基础信息",
    "adverse": "不良信息",
    "trustworthy": "守信信息",
    "lists": "红黑名单和严重失信主体名单信息",
    "commitments": "信用承诺及履行情况",
    "self_declared": "自主申报的市场信用信息",
}
SECTION_NOTES: Final = {
    "adverse": "已超过披露期限的不良信息不予披露；名单类信息见“红黑名单和严重失信主体名单信息”部分，"
               "违背信用承诺信息见“信用承诺及履行情况”部分。",
    "trustworthy": "信用主体申请屏蔽的良好信息不予展示（第三十五条）。",
    "lists": "包括严重失信主体名单、失信被执行人名单和经营异常名录。",
    "commitments": "包括信用承诺及其履行情况；违背信用承诺的记录列于此。",
    "self_declared": "以下信息由信用主体通过平台自主申报，平台未作核实，标注“自主申报”。",
}

#: Catalog entries whose records are list entries (名单) rather than single findings. The lists
#: app (measures) will feed the same section with its own entries through ``hooks``.
LIST_ENTRY_PREFIXES: Final = ("serious-dishonesty-",)
LIST_ENTRY_CODES: Final = frozenset({"court-defaulter", "business-anomaly"})
COMMITMENT_ENTRY_PREFIXES: Final = ("commitment-",)

SELF_DECLARED_SOURCE: Final = "self_declared"
SELF_DECLARED_MARK: Final = "自主申报"
#: Art. 15-17: market credit information a credit agency shared (with the subject's authorisation):
#: never presented as public credit information; the agency is named in the record's fields.
MARKET_SOURCE: Final = "market"
MARKET_MARK: Final = "市场信用信息（信用服务机构共享）"
_SOURCE_MARKS: Final = {SELF_DECLARED_SOURCE: SELF_DECLARED_MARK, MARKET_SOURCE: MARKET_MARK}
OBJECTION_MARK: Final = "异议处理中"


def is_list_entry(entry_code: str) -> bool:
    return entry_code in LIST_ENTRY_CODES or entry_code.startswith(LIST_ENTRY_PREFIXES)


def section_for(*, entry_code: str, info_class: str, source: str) -> str:
    """The report section of a record: self-declared information, lists, commitments, else its class."""
    if source == SELF_DECLARED_SOURCE:
        return "self_declared"
    if is_list_entry(entry_code):
        return "lists"
    if entry_code.startswith(COMMITMENT_ENTRY_PREFIXES):
        return "commitments"
    return info_class if info_class in SECTION_TITLES else "basic"


@dataclass(frozen=True)
class Item:
    """One entry of a report section: a credit record, or (later) a list entry or a commitment."""

    entry_code: str
    entry_name: str
    info_class: str
    department: str
    decision_date: date | None
    disclosure_until: date | None
    open_level: str
    source: str
    fields: tuple[tuple[str, str, str], ...] = ()  # (name, label, value)
    marks: tuple[str, ...] = ()
    record_id: int | None = None
    version: int | None = None
    origin: str = "record"  # record | list | commitment

    def content(self) -> dict[str, Any]:
        return {
            "origin": self.origin, "record_id": self.record_id, "version": self.version,
            "entry_code": self.entry_code, "entry_name": self.entry_name, "info_class": self.info_class,
            "department": self.department,
            "decision_date": _iso(self.decision_date), "disclosure_until": _iso(self.disclosure_until),
            "open_level": self.open_level, "source": self.source, "marks": list(self.marks),
            "fields": [{"name": n, "label": lb, "value": v} for n, lb, v in self.fields],
        }


def marks_of(*, source: str, record_id: int | None, marks: Mapping[int, Iterable[str]],
             present: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The marks of one item: those it has, 自主申报 for a self-declared record, 市场信用信息（信用服务机构共享）
    for a record a credit agency shared, and what ``marks`` (by record id, from the objection/repair
    hooks) adds, e.g. 异议处理中. De-duplicated, order kept."""
    extra = marks.get(record_id) if record_id is not None else None
    by_source = _SOURCE_MARKS.get(source)
    if not present and not extra and by_source is None:
        return ()  # most items carry no mark
    found = list(present)
    if by_source is not None:
        found.append(by_source)
    found.extend(extra or ())
    return tuple(dict.fromkeys(found))


def apply_marks(items: Sequence[Item], marks: Mapping[int, Iterable[str]]) -> list[Item]:
    """Items with their marks (``marks_of``); an item whose marks do not change is not copied."""
    out: list[Item] = []
    for it in items:
        marked = marks_of(source=it.source, record_id=it.record_id, marks=marks, present=it.marks)
        out.append(it if marked == it.marks else replace(it, marks=marked))
    return out


class Concealable(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def info_class(self) -> str: ...
    @property
    def source(self) -> str: ...


_R = TypeVar("_R", bound=Concealable)


def is_concealable(*, info_class: str, source: str) -> bool:
    """Art. 35: a subject may have its good information (trustworthy records: awards, volunteering,
    donations, bravery …) and its self-declared market information concealed; adverse never."""
    return info_class == "trustworthy" or source == SELF_DECLARED_SOURCE


def without_concealed(records: Sequence[_R], concealed: frozenset[int]) -> list[_R]:
    """The records less those concealed at the subject's request (only concealable ones can be)."""
    if not concealed:
        return list(records)
    return [r for r in records
            if not (r.id in concealed and is_concealable(info_class=r.info_class, source=r.source))]


@dataclass(frozen=True)
class Section:
    key: str
    items: tuple[Item, ...]

    @property
    def title(self) -> str:
        return SECTION_TITLES[self.key]

    @property
    def note(self) -> str:
        return SECTION_NOTES.get(self.key, "")

    def content(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "note": self.note,
                "items": [it.content() for it in self.items]}


@dataclass(frozen=True)
class SubjectBlock:
    name: str
    code: str
    kind: str
    kind_label: str
    region_code: str
    region_name: str
    verified: bool
    relations: tuple[tuple[str, str, str, str], ...] = ()  # (role, role_label, name, code)

    def content(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "kind": self.kind, "kind_label": self.kind_label,
                "region_code": self.region_code, "region_name": self.region_name, "verified": self.verified,
                "relations": [{"role": r, "role_label": rl, "name": n, "code": c} for r, rl, n, c in self.relations]}


@dataclass(frozen=True)
class ReaderBlock:
    """On what basis the report was read: ``public`` / ``own`` / ``authorized`` / ``government``."""

    basis: str
    label: str
    name: str = ""  # an organisation or department name (never a person's)

    def content(self) -> dict[str, Any]:
        return {"basis": self.basis, "label": self.label, "name": self.name}


@dataclass(frozen=True)
class ClassResult:
    """One class of a special report: what was searched, and what was found."""

    code: str
    label: str
    status: str  # found | none | not_collected | not_applicable | not_covered
    statement: str
    entries: tuple[str, ...] = ()  # entry names searched
    uncovered_entries: tuple[str, ...] = ()  # entry names not open to this reader
    items: tuple[Item, ...] = ()

    def content(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "status": self.status, "statement": self.statement,
                "entries": list(self.entries), "uncovered_entries": list(self.uncovered_entries),
                "items": [it.content() for it in self.items]}


@dataclass(frozen=True)
class SpecialScope:
    date_from: date
    date_to: date
    classes: tuple[ClassResult, ...]

    def content(self) -> dict[str, Any]:
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
                "classes": [c.content() for c in self.classes]}


@dataclass(frozen=True)
class Report:
    """A report as assembled for one reader on one day; ``content()`` is what is digested and signed."""

    kind: str
    as_of: date
    subject: SubjectBlock
    reader: ReaderBlock
    levels: tuple[str, ...]
    sections: tuple[Section, ...] = ()
    special: SpecialScope | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        return KIND_TITLES[self.kind]

    @property
    def level_labels(self) -> tuple[str, ...]:
        return tuple(LEVEL_LABELS.get(lv, lv) for lv in self.levels)

    @property
    def item_count(self) -> int:
        """How many records the report lists: what its PDF's rendering time grows with."""
        listed = sum(len(s.items) for s in self.sections)
        return listed + (sum(len(c.items) for c in self.special.classes) if self.special else 0)

    def content(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT, "kind": self.kind, "title": self.title, "as_of": self.as_of.isoformat(),
            "subject": self.subject.content(), "reader": self.reader.content(),
            "levels": list(self.levels), "level_labels": list(self.level_labels),
            "sections": [s.content() for s in self.sections],
            "special": self.special.content() if self.special else None,
            "notes": list(self.notes),
        }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def ordered_levels(levels: Iterable[str]) -> tuple[str, ...]:
    return tuple(lv for lv in LEVEL_LABELS if lv in set(levels))


def coverage_note(levels: Sequence[str], reader: ReaderBlock) -> str:
    """Art. 33: the report states which open levels it covers, and on what basis."""
    names = "、".join(LEVEL_LABELS.get(lv, lv) for lv in levels)
    if reader.basis == "public":
        return f"本报告涵盖{names}信息。授权查询信息和政府内部应用信息须经信用主体授权或依政务应用清单查询。"
    return f"本报告涵盖{names}信息（查询依据：{reader.label}）。"


STANDARD_NOTES: Final = (
    "本报告依据《杭州市社会信用条例》第四十条出具，反映截至出具日本平台归集的公共信用信息，查询免费。",
    "本报告仅供查询方在查询用途范围内使用；非公开信息负有保密义务，未经信用主体授权不得泄露（第三十八条）。",
    "信用主体对报告内容有异议的，可依第三十四条向市公共信用工作机构提出异议。",
    "可凭报告验证码在本平台“报告验证”页面或接口核验报告的真实性和内容是否被篡改。",
)


# --- special credit report ------------------------------------------------------------------

#: Art. 40 and the national practice of 专项信用报告 replacing 无违法违规证明: at most five years.
MAX_SPECIAL_PERIOD_MONTHS: Final = 60
DEFAULT_SPECIAL_PERIOD_MONTHS: Final = 36


@dataclass(frozen=True)
class SpecialClass:
    code: str
    label: str
    prefixes: tuple[str, ...] = ()
    codes: frozenset[str] = frozenset()
    catch_all: bool = False

    def matches(self, entry_code: str) -> bool:
        return entry_code in self.codes or (bool(self.prefixes) and entry_code.startswith(self.prefixes))


#: The fixed table of classes a special report can cover, in report order. A class is fed by the
#: adverse catalog entries it matches; the last class takes every adverse entry no other matches,
#: so a new catalog entry is never silently left out.
SPECIAL_CLASSES: Final = (
    SpecialClass("penalty", "行政处罚信息（含简易程序处罚）", prefixes=("penalty-",)),
    SpecialClass("compulsion", "行政强制信息", prefixes=("compulsion-",)),
    SpecialClass("serious_dishonesty", "严重失信主体名单信息", prefixes=("serious-dishonesty-",)),
    SpecialClass("court_defaulter", "失信被执行人信息", codes=frozenset({"court-defaulter"})),
    SpecialClass("business_anomaly", "经营异常名录信息", codes=frozenset({"business-anomaly"})),
    SpecialClass("commitment_breach", "违背信用承诺信息", prefixes=("commitment-breach-",)),
    SpecialClass("arrears", "欠缴税款、拖欠公用事业费和逾期不缴罚款信息",
                 prefixes=("tax-arrears-",), codes=frozenset({"utility-fee-arrears", "unpaid-fines"})),
    SpecialClass("other_adverse", "其他不良信息", catch_all=True),
)
SPECIAL_CLASS_CODES: Final = tuple(c.code for c in SPECIAL_CLASSES)


@dataclass(frozen=True)
class EntryInfo:
    """What the class selection needs to know of a published catalog entry."""

    code: str
    name: str
    info_class: str
    open_level: str
    subject_kinds: tuple[str, ...]


def parse_classes(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """The requested classes in table order; empty or None means all. Raises ValueError naming
    the unknown ones."""
    if raw is None:
        return SPECIAL_CLASS_CODES
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    wanted = {p.strip() for p in parts if p and p.strip()}
    if not wanted:
        return SPECIAL_CLASS_CODES
    unknown = sorted(wanted - set(SPECIAL_CLASS_CODES))
    if unknown:
        raise ValueError(f"未知的信息类别：{'、'.join(unknown)}；可选：{'、'.join(SPECIAL_CLASS_CODES)}")
    return tuple(c for c in SPECIAL_CLASS_CODES if c in wanted)


def check_period(date_from: date, date_to: date, *, today: date) -> None:
    """A special report's period: from ≤ to ≤ today, at most five years. Raises ValueError."""
    if date_to > today:
        raise ValueError("查询截止日期不能晚于今天")
    if date_from > date_to:
        raise ValueError("查询起始日期不能晚于截止日期")
    if add_months(date_from, MAX_SPECIAL_PERIOD_MONTHS) < date_to:
        raise ValueError("查询期间最长 5 年")


def default_period_start(date_to: date) -> date:
    """Without ``from``: the three years up to ``to`` (the usual look-back of tenders)."""
    return add_months(date_to, -DEFAULT_SPECIAL_PERIOD_MONTHS)


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months``, on the last day of the month when it has no such day; ValueError
    when the result would fall outside the calendar (before year 1 or after 9999)."""
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    if not MINYEAR <= year <= MAXYEAR:
        raise ValueError(f"日期 {d.isoformat()} 前后 {abs(months)} 个月超出了可表示的日期范围")
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


@dataclass(frozen=True)
class ClassEntries:
    collected: bool  # the catalog has entries of this class (for any kind of subject)
    applicable: tuple[EntryInfo, ...]  # those that apply to this subject's kind


def special_class_of(entry_code: str) -> str:
    """The special-report class of an adverse entry (or of a record of it): the first class it
    matches, else the catch-all class."""
    owner = next((c for c in SPECIAL_CLASSES if not c.catch_all and c.matches(entry_code)),
                 next(c for c in SPECIAL_CLASSES if c.catch_all))
    return owner.code


def select_class_entries(classes: Sequence[str], entries: Iterable[EntryInfo], *,
                         subject_kind: str) -> dict[str, ClassEntries]:
    """For each requested class, the published adverse entries of that class.

    An entry goes to the first class it matches; entries matching none go to the catch-all
    class (``special_class_of``). A class with no entry at all is one the platform does not
    collect now; one whose entries cover other kinds of subject only does not apply to this
    subject. (Either is stated only when no visible record of the class was found: records
    under retired entries or versions are listed whatever the catalog says now.)
    """
    found: dict[str, list[EntryInfo]] = {c: [] for c in classes}
    for entry in sorted(entries, key=lambda e: e.code):
        if entry.info_class != "adverse":
            continue
        owner = special_class_of(entry.code)
        if owner in found:
            found[owner].append(entry)
    return {c: ClassEntries(collected=bool(es), applicable=tuple(e for e in es if subject_kind in e.subject_kinds))
            for c, es in found.items()}


def class_status(*, found: bool, collected: bool, applicable: bool, covered: bool) -> str:
    """What a special report states for one class. Records of the class visible to the reader and
    decided in the period are always stated as found (and listed), whatever the class's catalog
    entries say now (retired, published anew at another open level or for other kinds of subject):
    ``not_collected``, ``not_applicable`` and ``not_covered`` never hide a record the reader may see,
    and ``none`` is stated only when entries open to the reader were searched and nothing was found.
    """
    if found:
        return "found"
    if not collected:
        return "not_collected"
    if not applicable:
        return "not_applicable"
    return "none" if covered else "not_covered"


def class_statement(status: str, *, count: int, date_from: date, date_to: date,
                    uncovered: Sequence[str] = ()) -> str:
    """The sentence a special report states for one class."""
    period = f"{_cn(date_from)}至{_cn(date_to)}"
    if status == "not_collected":
        return "本平台未归集该类信息，无法出具该类信息的查询结论。"
    if status == "not_applicable":
        return "该类信息不适用于此类信用主体。"
    if status == "not_covered":
        return "该类信息不属于查询方可查询的开放等级，本报告未涵盖，不能视为无记录。"
    text = (f"{period}期间，查询到该类记录 {count} 条。" if status == "found"
            else f"{period}期间，未查询到该类记录。")
    if uncovered:
        text += f"（不含查询方无权查询的：{'、'.join(uncovered)}）"
    return text


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
