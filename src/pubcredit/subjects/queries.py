"""Reads of subjects, always given the reader (open levels and masking applied here, once)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access.readers import PUBLIC_ONLY, Reader, Visibility, sees_full_identity, visibility
from pubcredit.codes import CodeError, mask_name, validate_resident_id, validate_uscc
from pubcredit.collection.queries import CLASS_ORDER, RecordView, visible_records
from pubcredit.errors import InvalidInput, NotFound
from pubcredit.subjects import pii
from pubcredit.subjects.models import ORGANIZATION_KINDS, RelationRole, Subject, SubjectKind

CODE_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
PERSON_SHAPE = re.compile(r"^\d{17}[\dX]$")
# Roles whose holder's name is public registration information of the organisation.
PUBLIC_NAME_ROLES = (RelationRole.LEGAL_REP, RelationRole.PRINCIPAL)


@dataclass(frozen=True)
class ParsedCode:
    kind: str  # "uscc" or "resident_id"
    value: str


def parse_code(raw: str) -> ParsedCode:
    """Tell a USCC from a resident ID number and validate it; InvalidInput says what is wrong.

    A string that could be either is tried as both; a resident-ID-shaped string that is not a
    valid ID is reported with the resident-ID reason, anything else with the USCC reason.
    """
    code = (raw or "").strip().upper()
    if not code:
        raise InvalidInput("请输入统一社会信用代码或身份证号码", field="code")
    try:
        return ParsedCode("uscc", validate_uscc(code).code)
    except CodeError as exc:
        uscc_error = exc
    if PERSON_SHAPE.match(code):
        try:
            return ParsedCode("resident_id", validate_resident_id(code, today=timezone.localdate()).code)
        except CodeError as exc:
            # Report whichever reading got further: a USCC whose only fault is its check
            # character, or a string whose region cannot begin an ID number, is a USCC.
            if uscc_error.kind != "check_character" and exc.kind != "region":
                raise InvalidInput(f"身份证号码无效：{exc}", field="code") from exc
    raise InvalidInput(f"统一社会信用代码无效：{uscc_error}", field="code")


def subject_by_code(raw: str) -> Subject:
    """The subject with this USCC or resident ID number; InvalidInput or NotFound otherwise."""
    parsed = parse_code(raw)
    qs = Subject.objects.all()
    found = (qs.filter(uscc=parsed.value) if parsed.kind == "uscc"
             else qs.filter(resident_id_hash=pii.resident_id_hash(parsed.value))).first()
    if found is None:
        raise NotFound("平台未收录该代码对应的信用主体", field="code")
    return found


@dataclass(frozen=True)
class SubjectSummary:
    ref: str
    kind: str
    kind_label: str
    name: str
    code: str
    region_code: str
    verified: bool


@dataclass(frozen=True)
class RelationView:
    role: str
    role_label: str
    name: str
    code: str


@dataclass(frozen=True)
class Profile:
    subject: SubjectSummary
    relations: list[RelationView]
    records: dict[str, list[RecordView]] = field(default_factory=dict)
    levels: frozenset[str] = frozenset()
    visibility: Visibility = PUBLIC_ONLY  # the basis of the read (own, authorisation, matter), for reports


def summarize(subject: Subject, vis: Visibility = PUBLIC_ONLY) -> SubjectSummary:
    """A subject's identity as this reader may see it (persons masked unless entitled)."""
    full = sees_full_identity(vis)
    is_person = subject.kind == SubjectKind.NATURAL_PERSON
    name = subject.name if (full or not is_person) else mask_name(subject.name)
    code = subject.display_code
    if is_person and full and subject.resident_id_enc:
        code = pii.decrypt_resident_id(bytes(subject.resident_id_enc))
    return SubjectSummary(
        ref=str(subject.public_ref), kind=subject.kind, kind_label=str(SubjectKind(subject.kind).label),
        name=name, code=code, region_code=subject.region_code, verified=subject.verified,
    )


def public_url_key(subject: Subject) -> str:
    """The key used in portal URLs: the USCC for organisations, an opaque ref for persons."""
    return subject.uscc if subject.uscc else str(subject.public_ref)


def subject_by_url_key(key: str) -> Subject:
    if len(key) == 18:
        return subject_by_code(key)
    found = Subject.objects.filter(public_ref=key).first() if _is_uuid(key) else None
    if found is None:
        raise NotFound("未找到该信用主体")
    return found


def _is_uuid(value: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value) is not None


def profile(subject: Subject, *, reader: Reader, today: date | None = None,
            select: Callable[[list[RecordView]], list[RecordView]] | None = None) -> Profile:
    """Identity, relations and the records the reader may see (Art. 14), grouped by class.

    ``select`` (used by credit reports) narrows the visible records in one call before they are
    grouped and logged, so the query log names exactly what the caller was given.
    """
    today = today or timezone.localdate()
    vis = visibility(reader, subject.pk, today=today)
    full = sees_full_identity(vis)
    relations: list[RelationView] = []
    if subject.kind in ORGANIZATION_KINDS:
        for rel in subject.relations.select_related("related").order_by("role", "id"):
            other = rel.related
            public_name = rel.role in PUBLIC_NAME_ROLES or other.kind in ORGANIZATION_KINDS
            relations.append(RelationView(
                role=rel.role, role_label=str(RelationRole(rel.role).label),
                name=other.name if (public_name or full) else mask_name(other.name),
                code=other.uscc or "",
            ))
    grouped: dict[str, list[RecordView]] = {c: [] for c in CLASS_ORDER}
    records = visible_records(subject.pk, levels=vis.levels, entries=vis.entries, today=today, full_identity=full)
    if select is not None:
        records = select(records)
    for rec in records:
        grouped.setdefault(rec.info_class, []).append(rec)
    if vis.non_public and not vis.own:
        _log_read(subject, reader, vis, records)
    return Profile(subject=summarize(subject, vis), relations=relations, records=grouped, levels=vis.levels,
                   visibility=vis)


def _log_read(subject: Subject, reader: Reader, vis: Visibility, records: list[RecordView]) -> None:
    """Art. 33, 39: a read beyond public information is logged with its basis."""
    read_levels = {r.open_level for r in records if r.open_level != "public"} or (set(vis.levels) - {"public"})
    access_services.log_query(
        subject_id=subject.pk, reader_kind=reader.kind, reader_name=reader.name or reader.kind,
        levels=read_levels, entries={r.entry_code for r in records if r.open_level != "public"},
        purpose=vis.purpose or reader.purpose, channel=reader.channel, user_id=reader.user_id,
        department_id=reader.department_id, agency_id=reader.agency_id, matter_id=vis.matter_id,
        authorization_id=vis.authorization_id, actor=reader.name,
    )


@dataclass(frozen=True)
class SearchPage:
    query: str
    items: list[SubjectSummary]
    count: int
    page: int
    per_page: int
    exact: Subject | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


def search(query: str, *, reader: Reader, page: int = 1, per_page: int = 20) -> SearchPage:
    """Search by exact code or by part of an organisation's name.

    Natural persons are found only by their exact ID number: their names are not searchable
    in public (Zhejiang: natural persons' information is not disclosed to the public).
    """
    q = " ".join((query or "").split())[:100]
    page = max(1, page)
    if not q:
        return SearchPage(q, [], 0, page, per_page)
    if CODE_SHAPE.match(q.upper()):
        try:
            found = subject_by_code(q)
        except NotFound:
            return SearchPage(q, [], 0, page, per_page)
        return SearchPage(q, [summarize(found)], 1, 1, per_page, exact=found)
    if len(q) < 2:
        raise InvalidInput("名称关键词至少需要 2 个字", field="q")
    qs: QuerySet[Subject] = Subject.objects.filter(kind__in=ORGANIZATION_KINDS, name__icontains=q)
    count = qs.count()
    rows = qs.order_by("name", "id")[(page - 1) * per_page: page * per_page]
    return SearchPage(q, [summarize(s) for s in rows], count, page, per_page)


def platform_counts() -> dict[str, int]:
    from pubcredit.collection.queries import count_records

    return {
        "organizations": Subject.objects.filter(kind__in=ORGANIZATION_KINDS).count(),
        "persons": Subject.objects.filter(kind=SubjectKind.NATURAL_PERSON).count(),
        "records": count_records(),
    }
