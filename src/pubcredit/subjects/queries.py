"""Reads of subjects, always given the reader (open levels and masking applied here, once)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.http import HttpRequest
from django.utils import timezone

from pubcredit import prepared
from pubcredit.access import services as access_services
from pubcredit.access import tokens
from pubcredit.access.readers import (
    AUTHORIZED_LEVELS,
    PUBLIC_ONLY,
    VALID_AUTHORIZATION_SQL,
    Reader,
    Visibility,
    authorizing_subjects,
    depends_on_authorization,
    edge_parameters,
    reader_for_owner,
    reader_for_request,
    sees_full_identity,
    visibility,
)
from pubcredit.audit.services import Insert
from pubcredit.codes import CodeError, mask_name
from pubcredit.codes.identify import identify_code
from pubcredit.collection.queries import (
    CLASS_ORDER,
    RECORD_COLUMNS,
    VISIBLE_RECORDS_ORDER,
    VISIBLE_RECORDS_SQL,
    RecordView,
    records_from_rows,
    visible_records,
    visible_records_params,
)
from pubcredit.errors import InvalidInput, NotFound
from pubcredit.reports import hooks as report_hooks
from pubcredit.reports import rules as report_rules
from pubcredit.subjects import pii
from pubcredit.subjects.lookups import NameBigrams
from pubcredit.subjects.models import ORGANIZATION_KINDS, RelationRole, Subject, SubjectKind
from pubcredit.textinput import one_line

CODE_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
# Roles whose holder's name is public registration information of the organisation.
PUBLIC_NAME_ROLES = (RelationRole.LEGAL_REP, RelationRole.PRINCIPAL)


@dataclass(frozen=True)
class ParsedCode:
    kind: str  # "uscc" or "resident_id"
    value: str


def parse_code(raw: str) -> ParsedCode:
    """Tell a USCC from a resident ID number and validate it; InvalidInput says what is wrong."""
    code = (raw or "").strip().upper()
    if not code:
        raise InvalidInput("请输入统一社会信用代码或身份证号码", field="code")
    try:
        found = identify_code(code, today=timezone.localdate())
    except CodeError as exc:
        what = "身份证号码" if getattr(exc, "code_kind", "") == "resident_id" else "统一社会信用代码"
        raise InvalidInput(f"{what}无效：{exc.with_traceback(None)}", field="code") from None
    return ParsedCode(found.kind, found.code)


def subject_by_code(raw: str) -> Subject:
    """The subject with this USCC or resident ID number; InvalidInput or NotFound otherwise."""
    parsed = parse_code(raw)
    found = (_subject_where("uscc", parsed.value) if parsed.kind == "uscc"
             else _subject_where("resident_id_hash", pii.resident_id_hash(parsed.value)))
    if found is None:
        raise NotFound("平台未收录该代码对应的信用主体", field="code")
    return found


def subject_ids_for_code(raw: str) -> list[int]:
    """The ids of subjects whose USCC or resident ID number is ``raw`` (case and spaces aside), for
    searches that take any text (the back-office): no check characters verified, both unique
    indexes asked — a USCC may have 17 leading digits like a resident ID number."""
    code = (raw or "").strip().upper()
    if len(code) != 18:
        return []
    found = Subject.objects.filter(Q(uscc=code) | Q(resident_id_hash=pii.resident_id_hash(code)))
    return list(found.values_list("id", flat=True))


@cache
def _subject_select() -> tuple[str, list[str]]:
    concrete = list(Subject._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in concrete)
    table = connection.ops.quote_name(Subject._meta.db_table)
    return f"SELECT {columns} FROM {table} WHERE ", [f.attname for f in concrete]


@cache
def _token_and_subject_sql(unique_column: str) -> str:
    """The token's row (``access.tokens.AUTHENTICATE_SQL``) beside the subject's (``_subject_where``),
    in one statement: one row when either exists, NULLs for the one that does not."""
    head, _fields = _subject_select()
    return (f"SELECT t.*, s.* FROM ({tokens.AUTHENTICATE_SQL}) t "
            f"FULL JOIN ({head}{connection.ops.quote_name(unique_column)} = %s) s ON true")


def reader_and_subject(request: HttpRequest, code: str, *, channel: str) -> tuple[Reader, Subject]:
    """``access.readers.reader_for_request`` and then ``subject_by_code``, with the same checks in the
    same order (the reader's errors first), in one round trip when the caller presents an API token
    and a valid code: every API read of a subject starts here, and the two look-ups are independent.
    The subject's row is read before the token is judged, and dropped if the token is refused."""
    matter, purpose, secret = edge_parameters(request)
    if secret is None:
        return reader_for_request(request, channel=channel), subject_by_code(code)
    digest = tokens.token_digest(secret)  # what cannot be a token is refused before anything is read
    try:
        parsed = parse_code(code)
    except InvalidInput:
        reader_for_request(request, channel=channel)  # a refused token answers first, as it always has
        raise
    column, value = (("uscc", parsed.value) if parsed.kind == "uscc"
                     else ("resident_id_hash", pii.resident_id_hash(parsed.value)))
    row = prepared.fetchone(_token_and_subject_sql(column), [tokens.LAST_USED_EVERY, digest, value])
    split = tokens.AUTHENTICATE_COLUMNS
    owner = tokens.owner_of(row[:split] if row is not None else None)
    reader = reader_for_owner(owner, matter=matter, purpose=purpose, channel=channel)
    if row is None or row[split] is None:
        raise NotFound("平台未收录该代码对应的信用主体", field="code")
    return reader, Subject.from_db(connection.alias, _subject_select()[1], row[split:])


def _subject_where(unique_column: str, value: str) -> Subject | None:
    """The subject whose ``unique_column`` (uscc or resident_id_hash) is ``value``: one plain statement
    (every API read starts here; the ORM spent longer building the query than running it)."""
    if unique_column not in ("uscc", "resident_id_hash"):
        raise ValueError(unique_column)
    head, fields = _subject_select()
    row = prepared.fetchone(f"{head}{connection.ops.quote_name(unique_column)} = %s", [value])
    return Subject.from_db(connection.alias, fields, row) if row is not None else None


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
    read_log: Insert | None = None  # with ``profile(defer_log=True)``: the query log row still to write


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


# ``profile``'s reads of a subject in one round trip, each part from the module that owns it: a first
# row with the authorisation ``visibility`` may turn on (``access.readers``; NULL organisation:
# none) and the organisation's relations, as JSON, then the records up to the widest visibility the
# read can be granted (``collection.queries``), as rows. ``profile`` then applies ``visibility``
# and keeps only what it allows.
_PROFILE_SQL = f"""
    SELECT 1 AS part, NULL::json AS authorization_json, NULL::json AS relations_json, v.*
    FROM ({VISIBLE_RECORDS_SQL}) v
    UNION ALL
    SELECT 0, (SELECT json_build_array(a.id, a.purpose) FROM ({VALID_AUTHORIZATION_SQL}) a),
           (SELECT json_agg(json_build_array(r.role, s.name, s.kind, s.uscc) ORDER BY r.role, r.id)
            FROM subjects_subjectrelation r JOIN subjects_subject s ON s.id = r.related_id
            WHERE %s AND r.organization_id = %s),
           {", ".join(["NULL"] * RECORD_COLUMNS)}
    ORDER BY part, {VISIBLE_RECORDS_ORDER}
"""


def _within(vis: Visibility, bound: Visibility) -> bool:
    """Whether everything ``vis`` allows is also allowed by ``bound`` (what was fetched)."""
    if not vis.levels <= bound.levels:
        return False
    return bound.entries is None or (vis.entries is not None and vis.entries <= bound.entries)


def profile(subject: Subject, *, reader: Reader, today: date | None = None,
            select: Callable[[list[RecordView]], list[RecordView]] | None = None,
            defer_log: bool = False) -> Profile:
    """Identity, relations and the records the reader may see (Art. 14), grouped by class.

    ``select`` (used by credit reports) narrows the visible records in one call before they are
    grouped and logged, so the query log names exactly what the caller was given. A non-public
    read is logged here, or with ``defer_log`` handed back as ``Profile.read_log`` for the caller
    to write together with what it writes (a credit report's issue: one statement for both).

    One statement reads the authorisation, the relations and the records together: when the
    reader's visibility turns on an authorisation, records are fetched up to what an authorisation
    grants, and ``visibility`` (given the authorisation read) decides what of them is kept.
    """
    today = today or timezone.localdate()
    sid = subject.pk
    by_authorization = depends_on_authorization(reader, sid)
    bound = Visibility(levels=AUTHORIZED_LEVELS) if by_authorization else visibility(reader, sid, today=today)
    rows = prepared.fetchall(_PROFILE_SQL, [
        *visible_records_params(sid, levels=bound.levels, entries=bound.entries, today=today),
        sid, reader.agency_id if by_authorization else None, today, today, subject.kind in ORGANIZATION_KINDS, sid,
    ])
    auth_json, relations_json = rows[0][1:3]  # the first row: the authorisation and the relations, decoded
    vis = bound
    if by_authorization:
        vis = visibility(reader, sid, today=today, authorization=(auth_json[0], auth_json[1]) if auth_json else None)
    full = sees_full_identity(vis)
    person = subject.kind == SubjectKind.NATURAL_PERSON
    relations = [_relation_view(role, name, kind, uscc, full=full)
                 for role, name, kind, uscc in relations_json or ()]
    if _within(vis, bound):
        records = [r for r in records_from_rows((row[3:] for row in rows[1:]), full_identity=full, person=person)
                   if vis.allows(r.open_level, r.entry_code)]
    else:  # never for the readers there are (an organisation's visibility is within an authorisation's)
        records = visible_records(sid, levels=vis.levels, entries=vis.entries, today=today, full_identity=full,
                                  person=person)
    if select is not None:
        records = select(records)
    grouped: dict[str, list[RecordView]] = {c: [] for c in CLASS_ORDER}
    for rec in records:
        grouped.setdefault(rec.info_class, []).append(rec)
    read_log = _read_log(subject, reader, vis, records) if vis.non_public and not vis.own else None
    if read_log is not None and not defer_log:
        access_services.log_query(read_log)
        read_log = None
    return Profile(subject=summarize(subject, vis), relations=relations, records=grouped, levels=vis.levels,
                   visibility=vis, read_log=read_log)


def shown_profile(subject: Subject, *, reader: Reader, today: date | None = None
                  ) -> tuple[Profile, dict[int, tuple[str, ...]]]:
    """``profile`` as the subject page and the subject API list it, with the report's hooks
    (docs/reports.md, "Hooks"), so that every channel listing a subject's records shows the same:

    * records the subject had concealed (Art. 35) are left out before the read is logged, by the
      rule the report applies (``reports.hooks.unconcealed``);
    * each record's marks (Art. 34: 异议处理中 …; 自主申报), by record id, from ``hooks.record_marks``
      through ``rules.marks_of``; records without a mark are absent.

    Each hook is asked once, with every record. Raises what ``profile`` raises.
    """
    sid = subject.pk
    prof = profile(subject, reader=reader, today=today, select=lambda recs: report_hooks.unconcealed(sid, recs))
    records = [r for group in prof.records.values() for r in group]
    hooked = report_hooks.record_marks([r.id for r in records])
    marks = {r.id: m for r in records
             if (m := report_rules.marks_of(source=r.source, record_id=r.id, marks=hooked))}
    return prof, marks


def _relation_view(role: str, name: str, kind: str, uscc: str | None, *, full: bool) -> RelationView:
    """One relation of an organisation as shown: a legal representative's or principal's name and an
    organisation's name are public registration information; other persons' names are masked."""
    public_name = role in PUBLIC_NAME_ROLES or kind in ORGANIZATION_KINDS
    return RelationView(role=role, role_label=str(RelationRole(role).label),
                        name=name if (public_name or full) else mask_name(name), code=uscc or "")


def _read_log(subject: Subject, reader: Reader, vis: Visibility, records: list[RecordView]) -> Insert:
    """Art. 33, 39: the query log row of a read beyond public information, with its basis (to write)."""
    read_levels = {r.open_level for r in records if r.open_level != "public"} or (set(vis.levels) - {"public"})
    return access_services.query_log_insert(
        subject_id=subject.pk, reader_kind=reader.kind, reader_name=reader.name or reader.kind,
        levels=read_levels, entries={r.entry_code for r in records if r.open_level != "public"},
        purpose=vis.purpose or reader.purpose, channel=reader.channel, user_id=reader.user_id,
        department_id=reader.department_id, agency_id=reader.agency_id, matter_id=vis.matter_id,
        authorization_id=vis.authorization_id, actor=reader.name,
    )


# --- many subjects at once (batch queries, Art. 40) -------------------------------------------
# The same rule, masking, selection and query log as ``profile``, with the look-ups batched: a
# chunk of subjects costs a handful of queries, not a handful per subject.

_SUMMARY_FIELDS = ("id", "public_ref", "kind", "name", "uscc", "resident_id_hash", "resident_id_masked",
                   "region_code", "verified")


def subjects_by_codes(parsed: Iterable[ParsedCode]) -> dict[str, Subject]:
    """The subjects with these validated codes (``parse_code``), keyed by the code's value, in at
    most two queries (USCCs; resident ID numbers by their keyed hash). Unknown codes are absent."""
    usccs: set[str] = set()
    hashes: dict[str, str] = {}
    for code in parsed:
        if code.kind == "uscc":
            usccs.add(code.value)
        else:
            hashes[pii.resident_id_hash(code.value)] = code.value
    found: dict[str, Subject] = {}
    if usccs:
        found.update((s.uscc or "", s) for s in Subject.objects.filter(uscc__in=usccs).only(*_SUMMARY_FIELDS))
    if hashes:
        found.update((hashes[s.resident_id_hash or ""], s)
                     for s in Subject.objects.filter(resident_id_hash__in=hashes).only(*_SUMMARY_FIELDS))
    return found


def common_visibility(reader: Reader, *, today: date) -> Visibility:
    """What ``reader`` may see of a subject that is neither its own nor one that authorised it: the part
    of ``visibility`` that depends on the reader alone (an officer's matter, or public information).

    Raises what ``visibility`` raises for a bad matter or a missing purpose, so a batch can be
    refused before it is queued.
    """
    # No subject and no organisation: ``visibility`` never looks at the subject id then.
    return visibility(replace(reader, subject_id=None, agency_id=None), 0, today=today)


def visibilities(reader: Reader, subject_ids: Collection[int], *, today: date) -> dict[int, Visibility]:
    """``access.readers.visibility`` of each subject for ``reader``, with the look-ups batched.

    The rule stays in ``visibility``, asked about each subject whose answer can depend on the
    subject: the reader's own, and those from which the reader's organisation holds an
    authorisation valid today (found in one query, with the conditions ``visibility`` itself
    requires). Every other subject gets ``common_visibility``, computed once.
    """
    candidates: set[int] = set()
    if reader.agency_id is not None:
        candidates = authorizing_subjects(reader.agency_id, subject_ids, today=today)
    if reader.subject_id is not None:
        candidates.add(reader.subject_id)
    out = {sid: visibility(reader, sid, today=today) for sid in subject_ids if sid in candidates}
    rest = [sid for sid in subject_ids if sid not in candidates]
    if rest:
        out.update(dict.fromkeys(rest, common_visibility(reader, today=today)))
    return out


def profiles(subjects: Sequence[Subject], *, reader: Reader, today: date,
             select: Callable[[int, list[RecordView]], list[RecordView]] | None = None) -> dict[int, Profile]:
    """``profile`` of many subjects at once, keyed by subject id (batch queries, Art. 40).

    Same visibility (``visibilities``), masking, ``select`` (called with each subject's id) and
    query log — one row per non-public read, exactly as ``profile`` writes it — with relations
    in one query and records in one. Raises what ``visibility`` raises.
    """
    vis_by = visibilities(reader, [s.pk for s in subjects], today=today)
    relations = _relations_of([s.pk for s in subjects if s.kind in ORGANIZATION_KINDS], vis_by)
    records = _visible_records_of(vis_by, today=today,
                                  persons={s.pk for s in subjects if s.kind == SubjectKind.NATURAL_PERSON})
    out: dict[int, Profile] = {}
    for subject in subjects:
        vis = vis_by[subject.pk]
        recs = records.get(subject.pk, [])
        if select is not None:
            recs = select(subject.pk, recs)
        grouped: dict[str, list[RecordView]] = {c: [] for c in CLASS_ORDER}
        for rec in recs:
            grouped.setdefault(rec.info_class, []).append(rec)
        if vis.non_public and not vis.own:
            access_services.log_query(_read_log(subject, reader, vis, recs))
        out[subject.pk] = Profile(subject=summarize(subject, vis), relations=relations.get(subject.pk, []),
                                  records=grouped, levels=vis.levels, visibility=vis)
    return out


def _relations_of(org_ids: list[int], vis_by: Mapping[int, Visibility]) -> dict[int, list[RelationView]]:
    """The relations of these organisations as ``profile`` shows them, in one query."""
    from pubcredit.subjects.models import SubjectRelation

    out: dict[int, list[RelationView]] = {}
    if not org_ids:
        return out
    rows = (SubjectRelation.objects.filter(organization_id__in=org_ids).order_by("organization_id", "role", "id")
            .values_list("organization_id", "role", "related__name", "related__kind", "related__uscc"))
    for org_id, role, name, kind, uscc in rows:
        out.setdefault(org_id, []).append(
            _relation_view(role, name, kind, uscc, full=sees_full_identity(vis_by[org_id])))
    return out


def _visible_records_of(vis_by: Mapping[int, Visibility], *, today: date, persons: Collection[int] = ()
                        ) -> dict[int, list[RecordView]]:
    """``collection.queries.visible_records`` of many subjects, each at its own visibility, in one query.

    The rows are those ``visible_records`` selects — active, within disclosure, of the levels and
    entries ``Visibility.allows`` (the same test as its filter) — shown the same way (fields in
    catalog order, resident IDs and the names of the ``persons`` among the subjects masked unless
    the reader is the person) and in its order: newest
    decision first (undated first, as PostgreSQL sorts them), then newest id.
    """
    from pubcredit.catalog.models import CatalogEntry, Department
    from pubcredit.collection.models import Record, RecordStatus
    from pubcredit.collection.queries import field_specs, shown_fields

    out: dict[int, list[RecordView]] = {}
    if not vis_by:
        return out
    levels = sorted(set().union(*(v.levels for v in vis_by.values())))
    rows = list(
        Record.objects.filter(subject_id__in=list(vis_by), status=RecordStatus.ACTIVE, open_level__in=levels)
        .filter(Q(disclosure_until__isnull=True) | Q(disclosure_until__gte=today))
        .order_by()  # sorted below: a sort of a thousand subjects' wide rows costs PostgreSQL more than Python
        .values_list("id", "subject_id", "entry_id", "entry_version_id", "department_id", "info_class", "open_level",
                     "source", "decision_date", "disclosure_until", "version", "data"))
    # ``-decision_date, -id`` as PostgreSQL sorts it: undated (NULLS FIRST) first, then newest first.
    rows.sort(key=lambda r: (r[8] is None, r[8] or date.min, r[0]), reverse=True)
    entries = {i: (c, n) for i, c, n in CatalogEntry.objects.filter(pk__in={r[2] for r in rows})
               .values_list("id", "code", "name")}
    # Per catalog version, its fields in order, decoded once (and kept by the process past draft).
    fields_of = field_specs({r[3] for r in rows})
    departments = dict(Department.objects.filter(pk__in={r[4] for r in rows}).values_list("id", "name"))
    full_by = {sid: sees_full_identity(v) for sid, v in vis_by.items()}
    person_by = {sid: sid in persons for sid in vis_by}
    for rid, sid, entry_id, version_id, dept_id, info_class, level, source, decided, until, version, data in rows:
        code, entry_name = entries[entry_id]
        if not vis_by[sid].allows(level, code):
            continue
        shown = shown_fields(fields_of[version_id], data, full_identity=full_by[sid], person=person_by[sid])
        out.setdefault(sid, []).append(RecordView(
            id=rid, entry_code=code, entry_name=entry_name, info_class=info_class, open_level=level, source=source,
            department=departments[dept_id], decision_date=decided, disclosure_until=until, version=version,
            fields=shown))
    return out


#: At most this many organisations are listed for a name search. A fragment as common as 有限公司
#: matches most of a city's 1.5 M organisations; counting and sorting them all took about a second
#: per search (and one search can be a page of a scraper). Past the limit the page says so and
#: asks for a fuller name.
SEARCH_LIMIT = 1000


@dataclass(frozen=True)
class SearchPage:
    query: str
    items: list[SubjectSummary]
    count: int
    page: int
    per_page: int
    exact: Subject | None = None
    #: More than ``count`` (= SEARCH_LIMIT) organisations match: the list holds SEARCH_LIMIT of them.
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


def search(query: str, *, reader: Reader, page: int = 1, per_page: int = 20) -> SearchPage:
    """Search by exact code or by part of an organisation's name.

    Natural persons are found only by their exact ID number: their names are not searchable
    in public (Zhejiang: natural persons' information is not disclosed to the public).

    A name search reads at most ``SEARCH_LIMIT`` + 1 matching organisations, in whatever order
    the index or table gives them, and lists up to ``SEARCH_LIMIT`` of them by name; ``capped``
    says that more match. Its cost is bounded whatever the fragment: a trigram index serves
    fragments of three characters and more, the bigram index two-character ones.
    """
    q = one_line(query, field="q")[:100]
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
    # ILIKE on the column, which its trigram index serves (``icontains`` would read every subject).
    qs: QuerySet[Subject] = Subject.objects.filter(kind__in=[k.value for k in ORGANIZATION_KINDS],
                                                   name__ilike_contains=q)
    if len(q) == 2:  # no trigram: the bigram index (same kinds as its condition) finds the candidates
        qs = qs.alias(bigrams=NameBigrams("name")).filter(bigrams__contains=NameBigrams(Value(q)))
    inner, params = qs.values("id", "name")[: SEARCH_LIMIT + 1].query.sql_with_params()
    offset = min((page - 1) * per_page, SEARCH_LIMIT)  # past the listed ones: no rows, still counted
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, count(*) OVER () FROM ({inner}) AS found ORDER BY name, id LIMIT %s OFFSET %s",
                       [*params, max(0, min(per_page, SEARCH_LIMIT - offset)), offset])
        rows = cursor.fetchall()
    matched = rows[0][1] if rows else (_count_matches(inner, params) if page > 1 else 0)
    capped = matched > SEARCH_LIMIT
    by_id = Subject.objects.in_bulk([r[0] for r in rows])
    items = [summarize(by_id[r[0]]) for r in rows if r[0] in by_id]
    return SearchPage(q, items, min(matched, SEARCH_LIMIT), page, per_page, capped=capped)


def _count_matches(inner: str, params: Sequence[Any]) -> int:
    """How many rows the capped search ``inner`` finds (for a page past the last one)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({inner}) AS found", params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


#: Up to this many rows (by the planner's estimate) the home page counts exactly; above, it shows
#: the estimate, rounded and marked 约 — a count(*) of tens of millions of rows takes seconds.
EXACT_COUNT_UP_TO = 200_000


def _planner_rows(qs: QuerySet[Any]) -> int:
    """PostgreSQL's estimate of the rows ``qs`` returns (from its statistics: nothing is read)."""
    plan = json.loads(qs.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _rounded(n: int) -> int:
    """``n`` to three significant figures (51,234,567 → 51,200,000)."""
    if n < 1000:
        return n
    step = int(10 ** (len(str(n)) - 3))
    return (n + step // 2) // step * step


def figure(qs: QuerySet[Any]) -> tuple[int, bool]:
    """How many rows ``qs`` has, and whether that is an estimate: exact up to ``EXACT_COUNT_UP_TO``
    rows as the planner expects them, else its estimate rounded to three significant figures."""
    estimate = _planner_rows(qs)
    if estimate <= EXACT_COUNT_UP_TO:
        return qs.count(), False
    return _rounded(estimate), True


def platform_counts() -> dict[str, Any]:
    """The home page's figures: organisations, persons, active records (exact, or estimated at a
    city's size: ``figure``); ``approximate`` names those that are estimates."""
    from pubcredit.collection.queries import active_records

    counts: dict[str, Any] = {"approximate": []}
    for name, qs in (("organizations", Subject.objects.filter(kind__in=ORGANIZATION_KINDS)),
                     ("persons", Subject.objects.filter(kind=SubjectKind.NATURAL_PERSON)),
                     ("records", active_records())):
        counts[name], estimated = figure(qs)
        if estimated:
            counts["approximate"].append(name)
    return counts
