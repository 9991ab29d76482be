"""Market credit information: declared by subjects themselves, shared by credit agencies (Art. 8, 15–17, 35).

Art. 8 para. 3 defines market credit information (produced, collected or obtained by credit
agencies and other organisations) apart from public credit information. Two ways in:

* **self-declared** (Art. 15 para. 2): a subject declares information about itself on the
  portal; the platform stores it under the catalog entry ``market-self-declared`` with source
  ``self_declared``, and every read path marks it 自主申报. The subject may withdraw it at any
  time (Art. 35 para. 2: concealing self-declared information at the subject's request).
* **shared by a credit agency** (Art. 17): an agency sends a record through its own API token,
  accepted only while the subject's authorisation for that agency is valid, under the entry
  ``market-agency-shared`` with source ``market`` (open level: authorised query, Art. 16).

Both keep collection's versioning: the same natural key with the same content changes nothing;
with other content it becomes a new version and the old one is kept, superseded. Every write
appends its audit entry in the same transaction. Field rules (lengths, allowed values, types)
come from the published catalog version, so the catalog stays the one definition.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from pubcredit.access.readers import Reader, visibility
from pubcredit.audit.services import record_event
from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog.models import CatalogVersion, OpenLevel
from pubcredit.codes.masking import mask_ids_in_text
from pubcredit.collection import rules
from pubcredit.collection.models import Record, RecordSource, RecordStatus
from pubcredit.errors import Conflict, InvalidInput, NotFound, NotPermitted
from pubcredit.subjects import queries as subject_queries
from pubcredit.subjects.models import ORGANIZATION_KINDS, Subject
from pubcredit.textinput import one_line, refuse_unstorable

SELF_DECLARED_ENTRY: Final = rules.SELF_DECLARED_ENTRY
AGENCY_SHARED_ENTRY: Final = rules.AGENCY_SHARED_ENTRY
#: Prefix of the declaration numbers the platform generates (自主申报).
DECLARATION_PREFIX: Final = "ZZSB-"
#: Advisory-lock class of market writes: one writer per (entry, natural key) at a time.
_LOCK_CLASS: Final = 0x4D4B
WITHDRAWN_REASON: Final = "信用主体撤回自主申报（第三十五条第二款）"
REASON_MAX: Final = 2000

Outcome = Literal["created", "corrected", "unchanged"]


@dataclass(frozen=True)
class SharedRecord:
    """What :func:`share` did: the record in force and whether it was new, a new version or unchanged."""

    record: Record
    outcome: Outcome


@dataclass(frozen=True)
class DeclarationView:
    """One of a subject's own declarations as listed on its declarations page (latest version)."""

    id: int
    declaration_no: str
    title: str
    category: str
    content: str
    occurred_on: date | None
    evidence_ref: str
    version: int
    status: str
    status_label: str
    status_reason: str
    declared_at: datetime
    withdrawn_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.status == RecordStatus.ACTIVE


# --- helpers ---------------------------------------------------------------------------------


def _actor(actor: str) -> str:
    who = one_line(actor, field="actor")
    if not who:
        raise InvalidInput("必须注明操作人", field="actor")
    return who[:150]


def _clean(version: CatalogVersion, values: Mapping[str, object], *, today: date) -> dict[str, Any]:
    """The submitted values checked against the entry's field specs; InvalidInput names the first bad field.

    Types, lengths and allowed values are the catalog's (``collection.rules.compile_field``);
    a date may not lie in the future (information about something that has not happened).
    Empty optional values are left out of the result.
    """
    specs = {str(f["name"]): f for f in version.fields}
    keys = set(version.natural_key or ())  # identifiers, kept exactly as given
    out: dict[str, Any] = {}
    for name, value in values.items():
        spec = specs[name]
        label = str(spec.get("label") or name)
        if rules.is_empty(value):
            if spec.get("required"):
                raise InvalidInput(f"{label}不能为空", field=name)
            continue
        try:
            cleaned = rules.compile_field(spec, today=today)(value)
        except rules.FieldError as exc:
            raise InvalidInput(f"{label}：{exc.reason}", field=name) from None
        if spec.get("type") == "date" and date.fromisoformat(str(cleaned)) > today:
            raise InvalidInput(f"{label}不能晚于今天（{today.isoformat()}）", field=name)
        if isinstance(cleaned, str) and spec.get("type") in (None, "string", "text") and name not in keys:
            # Free text is published as typed: a resident ID number in it (the declarer's own, a
            # certificate holder's) is masked before it is stored, as every view of an ID must be.
            cleaned = mask_ids_in_text(cleaned)
        out[name] = cleaned
    return out


def _identity(subject: Subject) -> dict[str, str]:
    """The subject's code as a market record stores it: an organisation's USCC, a person's masked ID."""
    if subject.kind in ORGANIZATION_KINDS:
        return {"subject_uscc": subject.uscc or ""}
    return {"subject_id_no": subject.resident_id_masked}


def _check_kind(version: CatalogVersion, subject: Subject) -> None:
    if subject.kind not in version.subject_kinds:
        raise InvalidInput(f"目录条目 {version.entry.code} 不适用于该类信用主体", field="subject")


def _lock(entry_id: int, natural_key: str) -> None:
    """Serialise writers of one record (two first sends of a key would both try version 1)."""
    key = zlib.crc32(f"{entry_id}|{natural_key}".encode()) - 2**31  # into PostgreSQL's int4 range
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, key])


def _write(*, version: CatalogVersion, subject: Subject, source: str, natural_key: str, data: dict[str, Any],
           decision: date | None, superseded_reason: str) -> tuple[Record, Outcome]:
    """Collection's versioning for one record: unchanged, a new version (old one superseded), or new.

    Runs inside the caller's transaction. Raises Conflict when the key is already in force
    for another subject (a correction never moves a record to someone else).
    """
    entry = version.entry
    _lock(entry.pk, natural_key)
    digest = rules.content_hash(data)
    current = (Record.objects.select_for_update()
               .filter(entry=entry, natural_key=natural_key, status=RecordStatus.ACTIVE).first())
    if current is not None and current.subject_id != subject.pk:
        raise Conflict("该编号的记录属于另一信用主体，不能改为其他主体的记录", field="reference_no")
    if current is not None and current.content_hash == digest:
        return current, "unchanged"
    now = timezone.now()
    last = Record.objects.filter(entry=entry, natural_key=natural_key).aggregate(n=Max("version"))["n"] or 0
    if current is not None:
        current.status = RecordStatus.SUPERSEDED
        current.status_reason = superseded_reason
        current.status_changed_at = now
        current.save(update_fields=["status", "status_reason", "status_changed_at"])
    record = Record.objects.create(
        subject=subject, entry=entry, entry_version=version, department=entry.department,
        info_class=entry.info_class, open_level=version.open_level, source=source, natural_key=natural_key,
        version=last + 1, status=RecordStatus.ACTIVE, data=data, content_hash=digest, decision_date=decision,
        disclosure_until=rules.disclosure_end(decision, version.disclosure_months), collected_at=now,
    )
    return record, "corrected" if current is not None else "created"


def _decision(data: Mapping[str, Any], version: CatalogVersion) -> date | None:
    value = data.get(version.decision_date_field) if version.decision_date_field else None
    return date.fromisoformat(str(value)) if value else None


# --- self-declared information (Art. 15 para. 2, Art. 35 para. 2) ------------------------------


def declaration_no(subject: Subject, *, category: str, title: str, occurred_on: str) -> str:
    """The generated, stable number of a declaration: one per subject, category, item and date.

    Declaring the same again (a double submit) changes nothing; changing its content or
    evidence makes a new version of the same declaration.
    """
    basis = f"{subject.public_ref}|{category}|{title}|{occurred_on}"
    return DECLARATION_PREFIX + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:20].upper()


@transaction.atomic
def declare(*, subject: Subject, title: str, content: str, category: str, occurred_on: date | str,
            evidence_ref: str = "", actor: str) -> Record:
    """A subject declares market credit information about itself (Art. 15 para. 2).

    Stored under ``market-self-declared`` with source ``self_declared`` (marked 自主申报
    wherever it is shown) and that entry's open level (public: the subject chose to publish
    it). The same declaration again returns the record in force unchanged; other content or
    evidence for the same category, item and date becomes a new version. Raises InvalidInput
    naming the field (empty, too long, category not allowed, date malformed or in the future),
    NotFound if the catalog entry is not published.
    """
    who = _actor(actor)
    today = timezone.localdate()
    version = catalog_queries.published_version(SELF_DECLARED_ENTRY)
    _check_kind(version, subject)
    values = _clean(version, {"title": title, "category": category, "content": content, "occurred_on": occurred_on,
                              "evidence_ref": evidence_ref}, today=today)
    number = declaration_no(subject, category=values["category"], title=values["title"],
                            occurred_on=values["occurred_on"])
    data = {"declaration_no": number, **_identity(subject), **values}
    record, outcome = _write(version=version, subject=subject, source=RecordSource.SELF_DECLARED,
                             natural_key=number, data=data, decision=_decision(data, version),
                             superseded_reason="信用主体修改自主申报内容")
    if outcome != "unchanged":
        record_event("collection:declaration:declared", actor=who, actor_role="subject", object_type="record",
                     object_id=record.pk, subject_id=subject.pk,
                     data={"entry": SELF_DECLARED_ENTRY, "declaration_no": number, "version": record.version,
                           "outcome": outcome, "category": values["category"], "title": values["title"],
                           "content_hash": record.content_hash})
    return record


@transaction.atomic
def withdraw_declaration(record: Record | int, *, subject: Subject, actor: str,
                         reason: str = WITHDRAWN_REASON) -> Record:
    """The subject withdraws one of its own declarations: it is no longer shown (Art. 35 para. 2).

    The record is kept, revoked with the reason and time. Only the declaring subject's own
    self-declared records can be withdrawn. Raises NotFound, NotPermitted (another subject's
    record, or not a self-declared one), Conflict (already withdrawn or superseded).
    """
    who = _actor(actor)
    pk = record if isinstance(record, int) else record.pk
    found = Record.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该申报记录", field="record")
    if found.subject_id != subject.pk or found.source != RecordSource.SELF_DECLARED:
        raise NotPermitted("只能撤回本主体自主申报的信息", field="record")
    if found.status == RecordStatus.REVOKED:
        raise Conflict("该申报已撤回", field="record")
    if found.status != RecordStatus.ACTIVE:
        raise Conflict("该版本已被修改后的申报取代，只能撤回现行版本", field="record")
    why = one_line(reason, field="reason") or WITHDRAWN_REASON
    found.status = RecordStatus.REVOKED
    found.status_reason = why[:REASON_MAX]
    found.status_changed_at = timezone.now()
    found.save(update_fields=["status", "status_reason", "status_changed_at"])
    record_event("collection:declaration:withdrawn", actor=who, actor_role="subject", object_type="record",
                 object_id=found.pk, subject_id=subject.pk,
                 data={"entry": SELF_DECLARED_ENTRY, "declaration_no": found.natural_key, "version": found.version,
                       "before": RecordStatus.ACTIVE.value, "after": RecordStatus.REVOKED.value,
                       "reason": found.status_reason})
    return found


def declarations_of(subject: Subject) -> list[DeclarationView]:
    """The subject's own declarations, newest first: the version in force, or the withdrawn one.

    For the subject's own page only (it shows every declaration, withdrawn ones included).
    """
    rows = (Record.objects.filter(subject=subject, entry__code=SELF_DECLARED_ENTRY,
                                  source=RecordSource.SELF_DECLARED)
            .exclude(status=RecordStatus.SUPERSEDED).order_by("-collected_at", "-id"))
    out: list[DeclarationView] = []
    for r in rows:
        d = r.data
        out.append(DeclarationView(
            id=r.pk, declaration_no=r.natural_key, title=str(d.get("title", "")), category=str(d.get("category", "")),
            content=str(d.get("content", "")), occurred_on=r.decision_date,
            evidence_ref=str(d.get("evidence_ref", "")), version=r.version, status=r.status,
            status_label=str(RecordStatus(r.status).label), status_reason=r.status_reason, declared_at=r.collected_at,
            withdrawn_at=r.status_changed_at if r.status == RecordStatus.REVOKED else None,
        ))
    return out


def declaration_spec() -> dict[str, dict[str, Any]]:
    """The field specs of the published self-declaration entry by name (labels, lengths, categories).

    The portal builds its form limits from them, so the catalog stays the one definition.
    Raises NotFound if the entry is not published.
    """
    version = catalog_queries.published_version(SELF_DECLARED_ENTRY)
    return {str(spec["name"]): dict(spec) for spec in version.fields}


# --- shared by credit agencies (Art. 16, 17) ----------------------------------------------------


def _subject_named(code: str) -> Subject:
    try:
        return subject_queries.subject_by_code(code)
    except (InvalidInput, NotFound) as exc:
        raise type(exc)(exc.message, field="subject_code") from exc


def _authorization_for(agency: Subject, subject: Subject, today: date) -> int:
    """The id of the subject's valid authorisation for ``agency`` today, or NotPermitted (Art. 17).

    Decided by ``access.readers.visibility``, the platform's one access rule: an authorisation
    within its period and not revoked lets the agency see the subject's authorised level.
    """
    vis = visibility(Reader(kind="agency", name=f"agency:{agency.pk}", agency_id=agency.pk), subject.pk,
                     today=today)
    if vis.authorization_id is None or OpenLevel.AUTHORIZED.value not in vis.levels:
        raise NotPermitted("未取得该信用主体对本机构的有效授权（授权不存在、已过期或已撤销），"
                           "依第十七条不能共享其信用信息", field="subject_code")
    return vis.authorization_id


@transaction.atomic
def share(*, agency: Subject, subject_code: str, item: str, content: str, occurred_on: date | str,
          reference_no: str, actor: str) -> SharedRecord:
    """A credit agency shares a market credit record about a subject with the platform (Art. 16, 17).

    Refused unless, at this moment, the subject's authorisation for this agency exists, is
    within its period and is not revoked. Stored under ``market-agency-shared`` with source
    ``market`` at the authorised-query level; the agency's name and code come from its token,
    never from the request. Keyed by (agency, ``reference_no``): the same content again is
    unchanged, other content becomes a new version. Raises InvalidInput naming the field,
    NotFound (unknown subject, entry not published), NotPermitted (no valid authorisation, or
    the sender is not an organisation), Conflict (the number is in force for another subject).
    """
    who = _actor(actor)
    today = timezone.localdate()
    if agency.kind not in ORGANIZATION_KINDS or not agency.uscc:
        raise NotPermitted("只有信用服务机构等法人、非法人组织可以共享市场信用信息", field="agency")
    given = {"subject_code": subject_code, "item": item, "content": content, "occurred_on": occurred_on,
             "reference_no": reference_no}
    for name, value in given.items():  # text from a JSON body: refuse what cannot be stored, by name
        if isinstance(value, str):
            refuse_unstorable(value, field=name)
    version = catalog_queries.published_version(AGENCY_SHARED_ENTRY)
    values = _clean(version, {"item": item, "content": content, "occurred_on": occurred_on,
                              "reference_no": reference_no}, today=today)
    subject = _subject_named(subject_code)
    _check_kind(version, subject)
    authorization_id = _authorization_for(agency, subject, today)
    data = {"agency_name": agency.name, "agency_uscc": agency.uscc, **_identity(subject), **values}
    natural_key = rules.natural_key_string([agency.uscc, values["reference_no"]])
    record, outcome = _write(version=version, subject=subject, source=RecordSource.MARKET, natural_key=natural_key,
                             data=data, decision=_decision(data, version),
                             superseded_reason=f"由信用服务机构 {agency.uscc} 更正")
    if outcome != "unchanged":
        record_event("collection:market_record:shared", actor=who, actor_role="agency", object_type="record",
                     object_id=record.pk, subject_id=subject.pk,
                     data={"entry": AGENCY_SHARED_ENTRY, "agency": agency.uscc, "reference_no": values["reference_no"],
                           "version": record.version, "outcome": outcome, "authorization": authorization_id,
                           "content_hash": record.content_hash})
    return SharedRecord(record, outcome)
