"""Reads for credit reports (Art. 33, 40): one assembly for every channel, given the reader.

``assemble_report`` and ``assemble_special_report`` build a typed ``rules.Report`` from
``subjects.queries.profile`` — the one read path that applies the visibility rule
(``access.readers.visibility``), masks identities and writes the query log, once per report.
Nothing here decides open levels. ``verification`` and ``compare`` answer the verify page and
API from the issued-report rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access.readers import Reader, Visibility
from pubcredit.audit.services import Insert
from pubcredit.catalog import queries as catalog_queries
from pubcredit.codes import regions
from pubcredit.collection.queries import RecordView
from pubcredit.errors import InvalidInput, NotFound
from pubcredit.reports import hooks, rules, signing
from pubcredit.reports.models import IssuedReport, ReaderBasis
from pubcredit.reports.rules import Item, Report, ReportKind
from pubcredit.subjects import queries as subject_queries
from pubcredit.subjects.models import Subject

# --- assembly -------------------------------------------------------------------------------


def _unconcealed(subject_id: int, records: list[RecordView]) -> list[RecordView]:
    """Art. 35: drop records the subject had concealed (``hooks.unconcealed``: the one rule)."""
    return hooks.unconcealed(subject_id, records)


def _item(rec: RecordView, marks: Mapping[int, tuple[str, ...]]) -> Item:
    # The record's shown fields are (name, label, value) triples already: no copy.
    return Item(
        entry_code=rec.entry_code, entry_name=rec.entry_name, info_class=rec.info_class, department=rec.department,
        decision_date=rec.decision_date, disclosure_until=rec.disclosure_until, open_level=rec.open_level,
        source=rec.source, fields=rec.fields, record_id=rec.id, version=rec.version,
        marks=rules.marks_of(source=rec.source, record_id=rec.id, marks=marks),
    )


def _reader_block(reader: Reader, vis: Visibility) -> rules.ReaderBlock:
    """Who the report is for, as printed on it: a basis and an organisation's name, never a person's."""
    if vis.own:
        return rules.ReaderBlock(ReaderBasis.OWN.value, "信用主体本人")
    if vis.authorization_id is not None:
        name = reader.agency_name or (
            Subject.objects.filter(pk=reader.agency_id).values_list("name", flat=True).first()
            if reader.agency_id is not None else None)
        return rules.ReaderBlock(ReaderBasis.AUTHORIZED.value, "经信用主体授权的查询方", name or "")
    if vis.matter_id is not None:
        from pubcredit.access.models import Matter

        matter = Matter.objects.select_related("department").get(pk=vis.matter_id)
        return rules.ReaderBlock(ReaderBasis.GOVERNMENT.value, f"依政务应用清单事项“{matter.name}”查询的政务部门",
                                 matter.department.name)
    return rules.ReaderBlock(ReaderBasis.PUBLIC.value, "社会公众")


def _subject_block(summary: subject_queries.SubjectSummary,
                   relations: Sequence[subject_queries.RelationView]) -> rules.SubjectBlock:
    region = summary.region_code
    return rules.SubjectBlock(
        name=summary.name, code=summary.code, kind=summary.kind, kind_label=summary.kind_label,
        region_code=region,
        region_name=(regions.hangzhou_district_name(region) or regions.province_name(region) or "") if region else "",
        verified=summary.verified,
        relations=tuple((r.role, r.role_label, r.name, r.code) for r in relations),
    )


def _notes(levels: tuple[str, ...], reader: rules.ReaderBlock, *extra: str) -> tuple[str, ...]:
    return (rules.coverage_note(levels, reader), *extra, *rules.STANDARD_NOTES)


def assemble_report(subject: Subject, *, reader: Reader, today: date | None = None) -> Report:
    """Art. 33, 40: the public credit information report on ``subject`` as ``reader`` may see it.

    Sections: identity and basic information; adverse; trustworthy; lists (serious dishonesty,
    court defaulters, business anomalies — and the lists app's entries via ``hooks``);
    commitments and their fulfilment; self-declared information (marked 自主申报). Adverse
    information past its disclosure period is left out by ``visible_records``; concealed good
    information by the concealment hook; records under objection are marked by the mark hook.
    A non-public read is logged once. Raises what ``visibility`` raises (NotPermitted,
    InvalidInput, NotFound for an officer's bad matter).
    """
    report, read_log = assemble_report_deferred(subject, reader=reader, today=today)
    if read_log is not None:
        access_services.log_query(read_log)
    return report


def assemble_report_deferred(subject: Subject, *, reader: Reader, today: date | None = None
                             ) -> tuple[Report, Insert | None]:
    """``assemble_report``, with a non-public read's query log row handed back unwritten, for the
    caller to write in the same statement as the report's issue (``services.issue_report``)."""
    today = today or timezone.localdate()
    prof = subject_queries.profile(subject, reader=reader, today=today,
                                   select=lambda recs: _unconcealed(subject.pk, recs), defer_log=True)
    records = _newest_first(prof)
    marks = hooks.record_marks([r.id for r in records])
    report = _full_report(subject.pk, prof, records, marks, _reader_block(reader, prof.visibility), today)
    return report, prof.read_log


def assemble_reports(subjects: Sequence[Subject], *, reader: Reader, today: date | None = None) -> dict[int, Report]:
    """``assemble_report`` of many subjects at once, keyed by subject id (batch queries, Art. 40).

    The same report per subject — sections, marks, concealment, hooks, and one query-log row
    per non-public read — with the look-ups batched (``subject_queries.profiles``; the mark hook
    is asked once for every record). Raises what ``visibility`` raises.
    """
    today = today or timezone.localdate()
    profs = subject_queries.profiles(subjects, reader=reader, today=today, select=_unconcealed)
    ordered = {sid: _newest_first(prof) for sid, prof in profs.items()}
    marks = hooks.record_marks([r.id for records in ordered.values() for r in records])
    blocks: dict[tuple[bool, bool, int | None], rules.ReaderBlock] = {}
    out: dict[int, Report] = {}
    for sid, prof in profs.items():
        vis = prof.visibility
        key = (vis.own, vis.authorization_id is not None, vis.matter_id)  # all that _reader_block reads of vis
        if key not in blocks:
            blocks[key] = _reader_block(reader, vis)
        out[sid] = _full_report(sid, prof, ordered[sid], marks, blocks[key], today)
    return out


def _newest_first(prof: subject_queries.Profile) -> list[RecordView]:
    records = [r for group in prof.records.values() for r in group]
    records.sort(key=lambda r: (r.decision_date or date.min, r.id), reverse=True)
    return records


def _full_report(subject_id: int, prof: subject_queries.Profile, records: list[RecordView],
                 marks: Mapping[int, tuple[str, ...]], reader_block: rules.ReaderBlock, today: date) -> Report:
    vis = prof.visibility
    by_section: dict[str, list[Item]] = {key: [] for key in rules.SECTION_TITLES}
    for rec in records:
        key = rules.section_for(entry_code=rec.entry_code, info_class=rec.info_class, source=rec.source)
        by_section[key].append(_item(rec, marks))
    by_section["lists"].extend(hooks.list_entries(subject_id, vis, today))
    by_section["commitments"].extend(hooks.commitments(subject_id, vis, today))
    levels = rules.ordered_levels(vis.levels)
    return Report(
        kind=ReportKind.FULL, as_of=today, subject=_subject_block(prof.subject, prof.relations),
        reader=reader_block, levels=levels,
        sections=tuple(rules.Section(key, tuple(items)) for key, items in by_section.items()),
        notes=_notes(levels, reader_block),
    )


@dataclass(frozen=True)
class SpecialRequest:
    date_from: date
    date_to: date
    classes: tuple[str, ...]

    def parameters(self) -> dict[str, Any]:
        return {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(), "classes": list(self.classes)}


def special_request(*, date_from: date | None, date_to: date | None, classes: str | Sequence[str] | None,
                    today: date) -> SpecialRequest:
    """Check a special report's period (≤ 5 years, not in the future) and classes; InvalidInput says which."""
    end = date_to or today
    try:
        start = date_from or rules.default_period_start(end)
    except ValueError as exc:  # e.g. to=0001-01-01: the default three years before it precede year 1
        raise InvalidInput(f"查询截止日期过早：{exc}", field="to") from exc
    try:
        rules.check_period(start, end, today=today)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="to" if end > today else "from") from exc
    try:
        wanted = rules.parse_classes(classes)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="classes") from exc
    return SpecialRequest(start, end, wanted)


def assemble_special_report(subject: Subject, *, reader: Reader, request: SpecialRequest,
                            today: date | None = None) -> Report:
    """The special credit report (专项信用报告; replaces no-violation certificates), Art. 40.

    For each requested class (``rules.SPECIAL_CLASSES``) it states the records decided within
    the period, or that none were found, or that the platform does not collect that class, or
    that the class is not open to this reader — never "no record" for what was not searched.
    Only the levels ``visibility`` grants are covered; the report says which. Logged like a read.
    """
    report, read_log = assemble_special_report_deferred(subject, reader=reader, request=request, today=today)
    if read_log is not None:
        access_services.log_query(read_log)
    return report


def assemble_special_report_deferred(subject: Subject, *, reader: Reader, request: SpecialRequest,
                                     today: date | None = None) -> tuple[Report, Insert | None]:
    """``assemble_special_report``, with a non-public read's query log row handed back unwritten.

    The records are those the full report would show this reader (``profile``: each record's own
    open level, the entries the reader is allowed, disclosure expiry; concealment), adverse, of a
    requested class (``rules.special_class_of``) and decided in the period — whatever their entry's
    catalog state now. The published catalog says only what can be stated where nothing was found:
    searched and none found, not collected, not applicable, or not open to this reader.
    """
    today = today or timezone.localdate()
    catalog = [rules.EntryInfo(v.entry.code, v.entry.name, v.entry.info_class, v.open_level, tuple(v.subject_kinds))
               for v in catalog_queries.published_catalog()]
    per_class = rules.select_class_entries(request.classes, catalog, subject_kind=subject.kind)
    wanted = set(request.classes)

    def in_scope(recs: list[RecordView]) -> list[RecordView]:
        # Not narrowed to the entries published now: a record under a retired entry or version, or
        # collected at another open level than its entry's current version, is still a record of
        # its class, and the full report shows it.
        kept = [r for r in recs if r.info_class == "adverse" and r.decision_date is not None
                and request.date_from <= r.decision_date <= request.date_to
                and rules.special_class_of(r.entry_code) in wanted]
        return _unconcealed(subject.pk, kept)

    prof = subject_queries.profile(subject, reader=reader, today=today, select=in_scope, defer_log=True)
    vis = prof.visibility
    records = sorted((r for group in prof.records.values() for r in group),
                     key=lambda r: (r.decision_date or date.min, r.id), reverse=True)
    marks = hooks.record_marks([r.id for r in records])
    by_class: dict[str, list[RecordView]] = {code: [] for code in request.classes}
    for rec in records:
        by_class[rules.special_class_of(rec.entry_code)].append(rec)
    results: list[rules.ClassResult] = []
    labels = {c.code: c.label for c in rules.SPECIAL_CLASSES}
    for code in request.classes:
        group = per_class[code]
        entries = group.applicable
        covered = [e for e in entries if vis.allows(e.open_level, e.code)]
        uncovered = tuple(e.name for e in entries if e not in covered)
        found = by_class[code]
        items = tuple(_item(r, marks) for r in found)
        status = rules.class_status(found=bool(items), collected=group.collected, applicable=bool(entries),
                                    covered=bool(covered))
        # Searched: the entries of the class published now and open to the reader, and the entries
        # of the records found (a retired entry's, say), by entry code.
        searched = {e.code: e.name for e in covered}
        for r in found:
            searched.setdefault(r.entry_code, r.entry_name)
        results.append(rules.ClassResult(
            code=code, label=labels[code], status=status,
            statement=rules.class_statement(status, count=len(items), date_from=request.date_from,
                                            date_to=request.date_to,
                                            uncovered=uncovered if status in ("found", "none") else ()),
            entries=tuple(name for _, name in sorted(searched.items())), uncovered_entries=uncovered, items=items,
        ))
    levels = rules.ordered_levels(vis.levels)
    reader_block = _reader_block(reader, vis)
    period = f"查询期间：{request.date_from.isoformat()} 至 {request.date_to.isoformat()}（按决定日期）。"
    report = Report(
        kind=ReportKind.SPECIAL, as_of=today, subject=_subject_block(prof.subject, prof.relations),
        reader=reader_block, levels=levels,
        special=rules.SpecialScope(request.date_from, request.date_to, tuple(results)),
        notes=_notes(levels, reader_block, period),
    )
    return report, prof.read_log


# --- verification ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    """What anyone may learn from a verification code: that the report exists, and its identity."""

    code: str
    kind: str
    kind_label: str
    issued_at: datetime
    as_of: date
    subject_name: str
    subject_code: str
    reader_basis: str
    reader_label: str
    parameters: dict[str, Any]
    digest: str
    signature: str
    key_id: str
    algorithm: str
    public_key: str
    signature_valid: bool
    #: What the signature covers: every field above (format 2), or for a report issued before format
    #: 2 only its code, digest, subject code and issue time (the rest is shown as stored).
    signed_fields: tuple[str, ...] = ()

    @property
    def class_labels(self) -> list[str]:
        """A special report's classes, as its pages name them (a one-class "no record" report must not
        pass for one that covers every class)."""
        labels = {c.code: c.label for c in rules.SPECIAL_CLASSES}
        classes = self.parameters.get("classes") or []
        return [labels.get(str(c), str(c)) for c in classes] if isinstance(classes, list) else []


def issued_by_code(raw: str) -> IssuedReport:
    """The issued report with this code. InvalidInput for a malformed code; NotFound("未查到该报告")."""
    code = rules.normalize_verification_code(raw)
    if code is None:
        raise InvalidInput("验证码格式不正确：应为 16 位字母或数字，形如 XXXX-XXXX-XXXX-XXXX", field="code")
    found = IssuedReport.objects.filter(code=code).first()
    if found is None:
        raise NotFound("未查到该报告", field="code")
    return found


def verification(raw: str) -> Verification:
    """Anti-forgery check of a code: issued or not, when, for what kind of reader, of which subject
    (masked for persons), with its digest and signature re-checked against the platform key."""
    row = issued_by_code(raw)
    # Checked with the key the report was signed with: the current one, or a retired one still published.
    key = signing.public_key_for(row.key_id)
    valid = (key is not None and key.signs_at(row.issued_at)
             and signing.signature_valid(key.public_b64, rules.signed_message_of(row), row.signature))
    return Verification(
        code=rules.format_verification_code(row.code), kind=row.kind, kind_label=row.get_kind_display(),
        issued_at=row.issued_at, as_of=row.as_of, subject_name=row.subject_name_public,
        subject_code=row.subject_code_public, reader_basis=row.reader_basis,
        reader_label=row.get_reader_basis_display(), parameters=dict(row.parameters), digest=row.content_digest,
        signature=row.signature, key_id=row.key_id, algorithm=signing.ALGORITHM,
        public_key=key.public_b64 if key is not None else "",
        signature_valid=valid,
        signed_fields=(("code", "digest", "subject_code", "issued_at") if row.signature_format == 1 else
                       ("code", "digest", "subject_code", "issued_at", "kind", "as_of", "reader_basis",
                        "subject_name", "parameters")),
    )


@dataclass(frozen=True)
class Comparison:
    consistent: bool
    verdict: str  # 一致 / 不一致
    expected_digest: str
    given_digest: str
    signature_valid: bool


def compare(raw: str, *, content: Mapping[str, Any] | None = None, digest: str | None = None) -> Comparison:
    """Whether a report in hand (its JSON content, or its digest) is the one issued under ``raw``."""
    if content is None and not digest:
        raise InvalidInput("请提供报告内容（content）或内容摘要（digest）", field="content")
    ver = verification(raw)
    try:
        given = rules.content_digest(content) if content is not None else str(digest).strip().lower()
    except (TypeError, ValueError) as exc:
        raise InvalidInput("报告内容不是有效的 JSON 对象", field="content") from exc
    same = given == ver.digest and ver.signature_valid
    return Comparison(consistent=same, verdict="一致" if same else "不一致", expected_digest=ver.digest,
                      given_digest=given, signature_valid=ver.signature_valid)


def public_key() -> dict[str, Any]:
    """The platform's report key, published (Art. 40 anti-forgery), with the public keys of earlier
    report keys (``retired``: reports they signed still verify, online and offline)."""
    key = signing.platform_key()
    return {"algorithm": signing.ALGORITHM, "key_id": key.key_id, "public_key": key.public_b64,
            "pem": key.public_pem,
            "retired": [{"key_id": k.key_id, "public_key": k.public_b64, "pem": k.public_pem,
                         "retired_at": k.retired_at} for k in signing.retired_keys()],
            "signed_message": f"{rules.SIGNATURE_CONTEXT}|<code>|<digest>|<subject_code>|<issued_at UTC "
                              "YYYY-MM-DDTHH:MM:SSZ>|<kind>|<as_of YYYY-MM-DD>|<reader_basis>|<subject_name>|"
                              "<parameters as canonical JSON> (in subject_name and parameters % and | are "
                              "percent-encoded)"}
