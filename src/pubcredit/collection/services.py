"""Writers of collection: batches, corrections, revocations, consents (Art. 13, 15, 17, 37).

Nothing else writes records. A batch is one transaction: the Batch row (created ``processing``),
its rejections and its records commit together or not at all, so a worker killed mid-batch
leaves nothing behind and a resend simply processes the file again.

The bulk path: rows are validated in Python by the compiled validator; their keys and subject
identities are streamed with COPY into a temporary staging table, where subjects, name reviews,
versions and rejections are settled with a handful of set-based statements, and the new record
versions are then written by COPY straight into the records table (docs/collection.md). The
number of queries does not grow with the number of rows (relations of basic-information
entries included: they are recorded, linked to their records and ended in bulk).
"""

from __future__ import annotations

import csv
import io
import json
import queue
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog.models import CatalogEntry, CatalogVersion, Department
from pubcredit.collection import rules
from pubcredit.collection.models import (
    Batch,
    BatchChannel,
    BatchRejection,
    BatchStatus,
    Consent,
    NameReview,
    NameReviewResolution,
    Record,
    RecordRelation,
    RecordSource,
    RecordStatus,
)
from pubcredit.collection.readers import ROW_PROBLEM, RowSource
from pubcredit.collection.validation import (
    CleanRow,
    ConsentBook,
    Relation,
    RowValidator,
    compile_version,
    protect_raw,
    reveal_raw,
    revoked_keys,
)
from pubcredit.errors import Conflict, InvalidInput, NotFound, NotPermitted
from pubcredit.subjects import pii
from pubcredit.subjects import services as subject_services
from pubcredit.subjects.models import NameChange, Subject, SubjectKind, SubjectRelation
from pubcredit.subjects.models import RelationRole as SubjectRelationRole
from pubcredit.textinput import one_line, storable

#: Rejections listed in a batch summary (the batch keeps all of them).
REASON_MAX = 2000
# Advisory lock keys (first half): one batch per entry at a time; one processor per queued batch.
_ENTRY_LOCK = 0x5043
QUEUED_BATCH_LOCK = 0x5044
# One writer at a time settles who holds an organisation's legal representative or principal
# (second half: the organisation's id modulo _HOLDER_LOCKS). Taken after the entry lock, once per
# batch or revocation, all in one statement in ascending order (_lock_holders).
_HOLDER_LOCK = 0x5045
#: Holder lock keys: a transaction holds at most this many (PostgreSQL's shared lock table holds
#: max_locks_per_transaction × max_connections locks, 6 400 by default: one per organisation
#: would run out with a chunk of 20 000 companies). Organisations sharing a key wait for each other.
_HOLDER_LOCKS = 256

_STAGE_COLUMNS = ("row_number", "ok", "natural_key", "content_hash", "uscc", "id_hash", "name", "kind", "field",
                  "reason", "raw")
#: Columns of collection_record written by COPY: the two the database decides per row first
#: (subject and version), then what the producer prepared, then the batch's constants.
_RECORD_COLUMNS = ("subject_id", "version", "natural_key", "data", "content_hash", "decision_date", "disclosure_until",
                   "entry_id", "entry_version_id", "department_id", "info_class", "open_level", "source", "status",
                   "collected_at", "batch_id", "status_reason")


def _audit(event: str, *, actor: str, object_type: str, object_id: str, subject_id: int | None,
           data: dict[str, object]) -> None:
    """Append to the platform's audit chain when the audit app is installed (same transaction)."""
    from django.apps import apps

    if apps.is_installed("pubcredit.audit"):
        try:
            from pubcredit.audit.services import record_event  # type: ignore[import-not-found, unused-ignore]
        except ImportError:  # pragma: no cover - the audit app is being built beside this one
            return
        record_event(event, actor=actor, object_type=object_type, object_id=object_id, subject_id=subject_id,
                     data=data)


def _actor(actor: str) -> str:
    who = (actor or "").strip()
    if not who:
        raise InvalidInput("必须注明操作人", field="actor")
    return who[:150]


# --- batches ---------------------------------------------------------------------------------


#: Rows per staging chunk: the producer validates chunk k+1 while PostgreSQL merges chunk k.
CHUNK_ROWS = 20_000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


@dataclass
class _Chunk:
    """One staging chunk produced by the validating thread: COPY text plus the subjects it names."""

    text: bytes  # UTF-8, encoded by the producer: encoding is CPU the database thread need not spend
    rows: int
    ok: int
    persons: dict[str, tuple[str, str]]  # id hash -> (resident ID, name), first row wins
    relations: list[tuple[int, str, str, Relation]]  # (row number, natural key, organisation USCC, related)
    # Accepted rows, by row number: (subject code, name, the record's COPY line after subject and
    # version, line end included, UTF-8).
    records: dict[int, tuple[str, str, bytes]]


@dataclass
class _Done:
    columns: list[str]


def _text(value: str | None) -> str:
    if value is None:
        return _NULL
    # translate() walks a dict per character (slow on CJK text): only when there is anything to escape.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _day(value: date | None) -> str:
    return _NULL if value is None else value.isoformat()


def _stage_sql(table: str) -> str:
    return (f"CREATE TEMP TABLE {table} (row_number integer NOT NULL, ok boolean NOT NULL, "
            'natural_key text COLLATE "C", content_hash text, uscc text, id_hash text, name text, kind text, '
            "field text, reason text, raw jsonb) ON COMMIT DROP")


class _Producer(threading.Thread):
    """Reads and validates the rows in its own thread, handing COPY text to the database thread.

    It never touches the database (the validator has read what it needs beforehand), so it can
    run while the connection is busy with the previous chunk. Errors are passed on the queue.
    """

    def __init__(self, rows: Iterable[tuple[int, Mapping[str, Any]]], validator: RowValidator,
                 column_map: dict[str, str] | None, constants: str) -> None:
        super().__init__(name="collection-validate", daemon=True)
        self.rows = rows
        self.validator = validator
        self.column_map = column_map
        self.constants = constants  # the batch's constant record columns, COPY-formatted
        self.queue: queue.Queue[_Chunk | _Done | BaseException] = queue.Queue(maxsize=2)
        self.stop = threading.Event()

    def _put(self, item: _Chunk | _Done | BaseException) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            self._put(exc)

    def _run(self) -> None:
        validator, column_map = self.validator, self.column_map
        personal_fields = validator.personal_set
        identity = column_map is not None and all(k == v for k, v in column_map.items())
        personal_columns = (frozenset(c for c, f in column_map.items() if f in personal_fields)
                            if column_map is not None else frozenset())
        seen_columns: dict[str, None] = {}
        known = validator.columns
        lines: list[str] = []
        records: dict[int, tuple[str, str, bytes]] = {}
        constants_end = self.constants + "\n"  # the last columns of every record line, and its end
        persons: dict[str, tuple[str, str]] = {}
        relations: list[tuple[int, str, str, Relation]] = []
        ok = 0
        for row_number, raw in self.rows:
            if column_map is None:
                # Rows without a header (JSON): each row's keys are checked against the catalog.
                mapping: dict[str, str] = {}
                twice: str | None = None
                for key in raw:
                    if key == ROW_PROBLEM:
                        continue
                    seen_columns.setdefault(key, None)
                    name = known.get(key) or validator.field_of(key)
                    if name is None:
                        validator.column_map([key])  # raises InvalidInput naming the column
                    elif name in mapping.values():  # e.g. CF_NR_FK and 罚款金额（万元）: which one is meant?
                        other = next(k for k, f in mapping.items() if f == name)
                        twice = twice or f"{other} 与 {key} 都对应字段 {name}，不知应以哪一个为准"
                    else:
                        mapping[key] = name
                fields = {mapping[k]: v for k, v in raw.items() if k in mapping}
                if ROW_PROBLEM in raw or twice:
                    fields[ROW_PROBLEM] = raw.get(ROW_PROBLEM) or twice
                personal_cols = frozenset(k for k, f in mapping.items() if f in personal_fields)
            elif identity:
                fields = raw  # type: ignore[assignment]  # read only
                personal_cols = personal_columns
            else:
                fields = {column_map.get(k, k): v for k, v in raw.items()}
                personal_cols = personal_columns
            result = validator(row_number, fields)
            if type(result) is CleanRow:
                key = _text(result.natural_key)
                lines.append("\t".join((
                    str(row_number), "t", key, result.content_hash, _text(result.uscc), _text(result.id_hash),
                    _text(result.name), result.kind, _NULL, _NULL, _NULL)) + "\n")
                records[row_number] = (str(result.uscc or result.id_hash), result.name or "", "\t".join((
                    key, _text(result.data_json), result.content_hash, _day(result.decision_date),
                    _day(result.disclosure_until), constants_end)).encode())
                ok += 1
                if result.resident_id is not None and result.id_hash not in persons:
                    persons[str(result.id_hash)] = (result.resident_id, result.name)
                for rel in result.relations:
                    relations.append((row_number, result.natural_key, str(result.uscc), rel))
            else:
                assert isinstance(result, list)  # noqa: S101 - for mypy
                # A reason may quote a refused value; NUL (refused in text fields) cannot be stored.
                reason = storable("；".join(e.reason for e in result))[:REASON_MAX]
                raw_json = json.dumps(protect_raw(raw, personal_cols), ensure_ascii=False, default=str)
                lines.append("\t".join((str(row_number), "f", _NULL, _NULL, _NULL, _NULL, _NULL, _NULL,
                                        _text(result[0].field[:64]), _text(reason), _text(raw_json))) + "\n")
            if len(lines) >= CHUNK_ROWS:
                if not self._put(_Chunk("".join(lines).encode(), len(lines), ok, persons, relations, records)):
                    return
                lines, persons, relations, records, ok = [], {}, [], {}, 0
        if lines and not self._put(_Chunk("".join(lines).encode(), len(lines), ok, persons, relations, records)):
            return
        self._put(_Done(list(seen_columns)))

    def chunks(self) -> Iterator[_Chunk | _Done]:
        """The produced chunks, in order; re-raises the producer's error."""
        while True:
            item = self.queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, _Done):
                return


#: GIL switch interval while a batch runs (CPython's default is 5 ms). The database thread needs
#: the GIL for a moment around every statement while the producer thread validates flat out;
#: at 5 ms per hand-over the database sat idle for a third of a 1 M-row batch.
_SWITCH_INTERVAL = 0.0002
_switch_lock = threading.Lock()
_switch_users = 0
_switch_before = 0.0


@contextmanager
def _responsive_switching() -> Iterator[None]:
    """Shorten the interpreter's thread switch interval while any batch runs (process-wide, counted)."""
    global _switch_users, _switch_before
    with _switch_lock:
        if _switch_users == 0:
            _switch_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_before, _SWITCH_INTERVAL))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_before)


def _copy_chunk(table: str, chunk: _Chunk) -> None:
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} ({', '.join(_STAGE_COLUMNS)}) FROM STDIN") as copy:
        copy.write(chunk.text)


def _fetch(sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())


def _execute(sql: str, params: Iterable[Any] = ()) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return max(int(cur.rowcount), 0)


#: Planner settings for the set-based statements of a chunk (restored after each chunk).
_PROBE_SETTINGS = {
    # Within the batch's transaction the records table grows faster than its statistics, so the
    # planner would read every active record of the entry (or every subject) into a hash table
    # once per chunk, which grows with the table: index probes per staged row instead.
    # Every statement touching records or subjects is written as a LATERAL or scalar probe;
    # joins among the chunk's own temporary tables may hash.
    "enable_seqscan": "off",
    # A chunk's statements are run once: compiling them (100-200 ms each) never pays back.
    "jit": "off",
    # DISTINCT ON and the like sort a whole chunk: in memory, not in temporary files.
    "work_mem": "64MB",
}


@contextmanager
def _index_probes() -> Iterator[None]:
    """Plan the set-based statements as index probes into records and subjects (one round trip each way)."""
    names = list(_PROBE_SETTINGS)
    previous = _fetch("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))[0]
    _fetch("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
           [v for n in names for v in (n, _PROBE_SETTINGS[n])])
    try:
        yield
    finally:
        _fetch("SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
               [v for n, old in zip(names, previous, strict=True) for v in (n, str(old))])


def _who_sql(table: str) -> str:
    return (f"CREATE TEMP TABLE {table}_who (code text NOT NULL, uscc text, id_hash text, name text NOT NULL, "
            "kind text, first_row integer NOT NULL, subject_id bigint, known_name text) ON COMMIT DROP")


def _identify(table: str) -> None:
    """Fill the chunk's subject map: one row per distinct (code, name) of the accepted rows.

    One index probe per distinct code (not per row) finds the subject and its known name; the
    map then serves registration, name reviews and the records' subject ids.
    """
    who = f"{table}_who"
    subjects = Subject._meta.db_table
    _execute(f"TRUNCATE {who}")
    _execute(
        f"""INSERT INTO {who} (code, uscc, id_hash, name, kind, first_row, subject_id, known_name)
            SELECT g.code, g.uscc, g.id_hash, g.name, g.kind, g.first_row, COALESCE(o.id, p.id),
                   COALESCE(o.name, p.name)
            FROM (SELECT COALESCE(uscc, id_hash) AS code, min(uscc) AS uscc, min(id_hash) AS id_hash,
                         COALESCE(name, '') AS name, min(kind) AS kind, min(row_number) AS first_row
                  FROM {table} WHERE ok GROUP BY 1, 4) g
            LEFT JOIN LATERAL (SELECT y.id, y.name FROM {subjects} y
                               WHERE g.uscc IS NOT NULL AND y.uscc = g.uscc LIMIT 1) o ON true
            LEFT JOIN LATERAL (SELECT y.id, y.name FROM {subjects} y
                               WHERE g.uscc IS NULL AND y.resident_id_hash = g.id_hash LIMIT 1) p ON true""")


def _register_subjects(table: str, got: _Chunk, *, batch: Batch, actor: str) -> int:
    """Create the unknown subjects named by accepted rows and relations, unverified (Art. 3)."""
    who = f"{table}_who"
    subject_table = Subject._meta.db_table
    orgs = _fetch(
        f"""SELECT DISTINCT ON (w.uscc) w.kind, w.uscc, w.name FROM {who} w
            WHERE w.subject_id IS NULL AND w.uscc IS NOT NULL ORDER BY w.uscc, w.first_row""")
    organizations = [(str(k), str(u), str(n or "")) for k, u, n in orgs]
    relations = got.relations
    related_orgs: dict[str, tuple[str, str]] = {}
    related_people: dict[str, tuple[str, str]] = {}
    for *_, r in relations:  # the first row naming a subject gives its name (as for the rows' own subjects)
        if r.uscc:
            related_orgs.setdefault(r.uscc, (r.role, r.name))
        elif r.id_hash and r.resident_id:
            related_people.setdefault(r.id_hash, (r.resident_id, r.name))
    unknown = {str(h) for (h,) in _fetch(f"SELECT DISTINCT id_hash FROM {who} WHERE subject_id IS NULL "
                                         "AND id_hash IS NOT NULL")} if got.persons else set()
    people = [got.persons[h] for h in got.persons if h in unknown]
    extra = [h for h in related_people if h not in got.persons]
    if extra:
        known = {str(h) for (h,) in _fetch(
            f"SELECT resident_id_hash FROM {subject_table} WHERE resident_id_hash = ANY(%s)", [extra])}
        people += [(str(related_people[h][0]), related_people[h][1]) for h in extra if h not in known]
    if related_orgs:
        staged = {u for _, u, _ in organizations}
        present = {str(u) for (u,) in _fetch(f"SELECT uscc FROM {subject_table} WHERE uscc = ANY(%s)",
                                             [list(related_orgs)])}
        for code, (role, name) in related_orgs.items():
            kind = (rules.kind_of_new_branch(code) if role == SubjectRelationRole.BRANCH
                    else rules.org_kind_for_new_subject(code, rules.org_kinds_for_uscc(code)))
            if code not in present and code not in staged and kind:
                organizations.append((kind, code, name))
    if not organizations and not people:
        return 0
    created = subject_services.bulk_register_unverified(organizations=organizations, persons=people,
                                                        source=f"报送批次 #{batch.pk}", actor=actor,
                                                        codes_checked=True)
    _execute(
        f"""UPDATE {who} w SET subject_id = f.id, known_name = (SELECT y.name FROM {subject_table} y WHERE y.id = f.id)
            FROM (SELECT v.code, (SELECT y.id FROM {subject_table} y
                                   WHERE (v.uscc IS NOT NULL AND y.uscc = v.uscc)
                                      OR (v.uscc IS NULL AND y.resident_id_hash = v.id_hash) LIMIT 1) AS id
                  FROM (SELECT DISTINCT code, uscc, id_hash FROM {who} WHERE subject_id IS NULL) v) f
            WHERE w.subject_id IS NULL AND w.code = f.code""")
    return created


def _comparable(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


#: A name submitted for a subject: (row number, subject id, submitted name, known name).
_NameSeen = tuple[int, int, str, str]


def _name_reviews(table: str, batch: Batch, named: Iterable[_NameSeen] = ()) -> int:
    """Flag submitted names that contradict the name known for the code (never silently merged).

    The chunk's own subjects (from its subject map) and the subjects its rows name as related
    (``named``: legal representatives, officers, branches) go through the same comparison:
    after NFKC and whitespace normalisation, against the known name, the subject's former names
    and its open reviews. At most three queries and one insert per chunk.
    """
    candidates = [(int(r), int(i), str(n), str(k)) for r, i, n, k in _fetch(
        f"""SELECT w.first_row, w.subject_id, w.name, w.known_name FROM {table}_who w
            WHERE w.subject_id IS NOT NULL AND w.name <> '' AND w.name <> w.known_name""")]
    candidates += [c for c in named if c[2] and c[2] != c[3]]
    candidates = [c for c in candidates if _comparable(c[2]) != _comparable(c[3])]
    if not candidates:
        return 0
    ids = {c[1] for c in candidates}
    # Former names and open reviews, compared in the same normalised form as the known name.
    settled = {(subject_id, _comparable(name)) for subject_id, name in
               NameChange.objects.filter(subject_id__in=ids).values_list("subject_id", "old_name")}
    settled |= {(subject_id, _comparable(name)) for subject_id, name in
                NameReview.objects.filter(subject_id__in=ids, resolved_at__isnull=True)
                .values_list("subject_id", "submitted_name")}
    reviews: dict[tuple[int, str], NameReview] = {}
    for row_number, subject_id, submitted, known in sorted(candidates):
        seen = (subject_id, _comparable(submitted))
        if seen in settled:
            continue
        reviews.setdefault(seen, NameReview(
            subject_id=subject_id, batch=batch, row_number=row_number, submitted_name=submitted[:200],
            known_name=known[:200]))
    NameReview.objects.bulk_create(reviews.values(), batch_size=2000)
    return len(reviews)


#: A relation changed: (organisation id, role, the record it follows, if any).
_Change = tuple[int, str, int | None]


def _relate(relations: list[tuple[int, str, str, Relation]], *, batch: Batch, actor: str,
            entry_id: int) -> tuple[list[_NameSeen], dict[int, _Change], set[int]]:
    """Record the relations named by a chunk's basic-information rows (Art. 10, 26) and link them
    to the active record of each row (``RecordRelation``), so that they end with it.

    Returns the names the rows give the related subjects (for name review), the relations to
    reopen (ended, and named again by an active record: relation id -> organisation id, role and
    that record's id; roles held alone are settled by :func:`_settle_holders` instead) and the
    organisations whose legal representative or principal was named. A constant number of
    queries per chunk, and none without relations.
    """
    if not relations:
        return [], {}, set()
    codes = {u for _, _, u, _ in relations} | {r.uscc for *_, r in relations if r.uscc}
    hashes = {r.id_hash for *_, r in relations if r.id_hash}
    subjects = {s.uscc: s for s in Subject.objects.filter(uscc__in=codes)}
    people = ({s.resident_id_hash: s for s in Subject.objects.filter(resident_id_hash__in=hashes)}
              if hashes else {})
    named: list[_NameSeen] = []
    links: dict[tuple[int, int, str], list[str]] = {}  # relation -> natural keys of the rows naming it
    pairs: dict[tuple[int, int, str], tuple[Subject, Subject, str]] = {}
    for row_number, key, org_code, rel in relations:
        org = subjects.get(org_code)
        related = subjects.get(rel.uscc) if rel.uscc else people.get(rel.id_hash)
        if related is not None and rel.name:
            named.append((row_number, related.pk, rel.name, related.name))
        if org is None or related is None or org.pk == related.pk or not rules.relates_from(org.kind):
            continue
        role = rules.relation_role(rel.role, org.kind)
        triple = (org.pk, related.pk, role)
        pairs.setdefault(triple, (org, related, role))
        links.setdefault(triple, []).append(key)
    if not pairs:
        return named, {}, set()
    found = subject_services.relate_many(pairs.values(), source=f"报送批次 #{batch.pk}", actor=actor)
    keys = sorted({k for ks in links.values() for k in ks})
    record_of = {str(k): int(i) for k, i in _fetch(
        f"""SELECT k.key, r.id FROM unnest(%s::text[]) AS k(key)
            CROSS JOIN LATERAL (SELECT x.id FROM {Record._meta.db_table} x
                                WHERE x.entry_id = %s AND x.status = %s AND x.natural_key = k.key LIMIT 1) r""",
        [keys, entry_id, RecordStatus.ACTIVE])}
    record_ids: list[int] = []
    relation_ids: list[int] = []
    for triple, ks in links.items():
        for k in ks:
            if k in record_of and triple in found:
                record_ids.append(record_of[k])
                relation_ids.append(found[triple][0])
    if record_ids:
        _execute(f"""INSERT INTO {RecordRelation._meta.db_table} (record_id, relation_id)
                     SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING""",
                 [record_ids, relation_ids])
    named_by = dict(zip(relation_ids, record_ids, strict=True))
    reopen: dict[int, _Change] = {rid: (org_id, role, named_by.get(rid)) for (org_id, _, role), (rid, ended)
                                  in found.items() if ended and not rules.held_alone(role)}
    holders = {org_id for org_id, _, role in found if rules.held_alone(role)}
    return named, reopen, holders


#: A relation named by corrected or revoked records: (relation id, organisation id, role,
#: whether no active record names it any more while it is current, the lowest of those records).
_Linked = tuple[int, int, str, bool, int]


def _linked_relations(record_ids: list[int]) -> list[_Linked]:
    """The relations these (now superseded or revoked) records named that may change: the current
    ones, and those of roles held alone whatever their state (their organisations are settled
    again, :func:`_settle_holders`). One query."""
    if not record_ids:
        return []
    links, records, relations = (RecordRelation._meta.db_table, Record._meta.db_table,
                                 SubjectRelation._meta.db_table)
    return [(int(i), int(o), str(k), bool(u), int(r)) for i, o, k, u, r in _fetch(
        f"""SELECT sr.id, sr.organization_id, sr.role,
                   sr.until IS NULL AND NOT EXISTS (SELECT 1 FROM {links} m JOIN {records} r ON r.id = m.record_id
                                                    WHERE m.relation_id = sr.id AND r.status = %s),
                   min(l.record_id)
            FROM {links} l JOIN {relations} sr ON sr.id = l.relation_id
            WHERE l.record_id = ANY(%s) AND (sr.until IS NULL OR sr.role = ANY(%s))
            GROUP BY sr.id""",
        [RecordStatus.ACTIVE, record_ids, list(rules.SINGLE_HOLDER_ROLES)])]


def _lock_holders(organization_ids: set[int]) -> None:
    """Serialise settling the roles held alone of these organisations (``_HOLDER_LOCK``) until the
    transaction ends: two batches of different entries (different entry locks), or a batch and
    a revocation, naming holders of one organisation would otherwise each settle it without
    seeing the other's holder and leave two. One statement, once per transaction, after the
    entry lock and after every other lock the transaction takes but row locks of its own, keys
    in ascending order: two writers never wait for each other in a circle."""
    if organization_ids:
        _fetch(f"""SELECT pg_advisory_xact_lock(%s, t.k)
                   FROM (SELECT DISTINCT (i %% {_HOLDER_LOCKS})::integer AS k FROM unnest(%s::bigint[]) AS i) t
                   ORDER BY t.k""", [_HOLDER_LOCK, sorted(organization_ids)])


#: A holder after settling: (relation id, organisation id, role, current, record naming it).
_Holder = tuple[int, int, str, bool, int | None]


def _settle_holders(organization_ids: set[int]) -> tuple[list[_Holder], list[_Holder]]:
    """Who holds each role held alone (legal representative, principal: ``rules.held_alone``) in
    these organisations: ``(relations to end, relations to reopen)``, each with the record naming
    the holder that now holds (for the audit). Call it under :func:`_lock_holders`.

    The candidates are every holder an active record names (an earlier one ended by a later
    record comes back when that record is revoked or corrected), and the holders no record has
    ever named (recorded by hand, or before migration 0012). The holder named by the latest
    decision wins (then the latest collected record); a current holder no record names comes
    after them, and an ended one — replaced by a holder a record named — comes back only if no
    other candidate remains (the most recently ended, then the most recently recorded). A
    relation whose records are all corrected or revoked is no candidate. The others end. One
    query.
    """
    if not organization_ids:
        return [], []
    links, records, relations = (RecordRelation._meta.db_table, Record._meta.db_table,
                                 SubjectRelation._meta.db_table)
    ranked = _fetch(
        f"""SELECT c.id, c.organization_id, c.role, c.until IS NULL, c.seq,
                   CASE WHEN c.candidate THEN row_number() OVER (
                       PARTITION BY c.organization_id, c.candidate
                       ORDER BY c.seq IS NULL AND c.until IS NOT NULL, c.decided DESC NULLS LAST,
                                c.seq DESC NULLS LAST, c.until DESC NULLS FIRST, c.id DESC) END
            FROM (SELECT sr.id, sr.organization_id, sr.role, sr.until, k.decided, k.seq,
                         k.seq IS NOT NULL OR NOT k.linked AS candidate
                  FROM {relations} sr
                  CROSS JOIN LATERAL (SELECT max(r.decision_date) FILTER (WHERE r.status = %s) AS decided,
                                             max(r.id) FILTER (WHERE r.status = %s) AS seq,
                                             count(*) > 0 AS linked
                                      FROM {links} l JOIN {records} r ON r.id = l.record_id
                                      WHERE l.relation_id = sr.id) k
                  WHERE sr.organization_id = ANY(%s) AND sr.role = ANY(%s)) c""",
        [RecordStatus.ACTIVE, RecordStatus.ACTIVE, sorted(organization_ids), list(rules.SINGLE_HOLDER_ROLES)])
    winner: dict[int, tuple[int, int | None]] = {int(o): (int(i), None if s is None else int(s))
                                                 for i, o, _, _, s, n in ranked if n == 1}
    end: list[_Holder] = []
    back: list[_Holder] = []
    for i, o, role, current, _, _ in ranked:
        holder, record = winner.get(int(o), (None, None))
        if current and int(i) != holder:
            end.append((int(i), int(o), str(role), True, record))
        elif not current and int(i) == holder:
            back.append((int(i), int(o), str(role), False, record))
    return end, back


#: Relations changed per audit entry (an entry's data is at most 256 KiB of JSON).
_AUDITED_RELATIONS = 3000


def _audit_changes(ended: list[int], reopened: list[int], about: Mapping[int, _Change], *, actor: str,
                   object_type: str, object_id: str) -> None:
    """Audit relations ended and reopened (``collection:relations:changed``, Art. 38, 39): one
    entry per call (per 3 000 relations beyond that), each relation as ``[relation, organization,
    role, record]``. Ids only: never a person's name or ID number."""
    changes = [("ended", [i, *about[i]]) for i in ended] + [("reopened", [i, *about[i]]) for i in reopened]
    parts = [changes[n:n + _AUDITED_RELATIONS] for n in range(0, len(changes), _AUDITED_RELATIONS)]
    for number, part in enumerate(parts, 1):
        data: dict[str, object] = {"on": timezone.localdate().isoformat(),
                                   "fields": ["relation", "organization", "role", "record"],
                                   "ended": [c for what, c in part if what == "ended"],
                                   "reopened": [c for what, c in part if what == "reopened"]}
        if len(parts) > 1:
            data["part"] = f"{number}/{len(parts)}"
        _audit("collection:relations:changed", actor=actor, object_type=object_type, object_id=object_id,
               subject_id=None, data=data)


def _end_relations_of(record_ids: list[int], *, reopen: Mapping[int, _Change] | None = None,
                      holders: Iterable[int] = (), actor: str, object_type: str, object_id: str) -> set[int]:
    """End what corrected or revoked records alone named and reopen ``reopen`` (ended relations
    named again: relation id -> organisation id, role, the record naming it), for roles not held
    alone; audited (one entry: for an ended relation the corrected or revoked record that named
    it, for a reopened one the record naming it).

    Returns the organisations whose roles held alone are to be settled by
    :func:`_settle_organizations`: ``holders`` and those of every relation of such a role the
    records named. Two queries at most, and the audit entry.
    """
    linked = _linked_relations(record_ids)
    about: dict[int, _Change] = {i: (o, k, r) for i, o, k, unnamed, r in linked
                                 if unnamed and not rules.held_alone(k)}
    ending = set(about)
    about |= {i: v for i, v in (reopen or {}).items() if i not in ending}
    if about:
        ended, reopened = subject_services.set_relation_ends(ending=ending, reopening=set(about) - ending,
                                                             on=timezone.localdate())
        _audit_changes(ended, reopened, about, actor=actor, object_type=object_type, object_id=object_id)
    return set(holders) | {o for _, o, k, _, _ in linked if rules.held_alone(k)}


def _settle_organizations(organization_ids: set[int], *, cause: int | None = None, actor: str, object_type: str,
                          object_id: str) -> None:
    """Settle who holds the roles held alone of these organisations (:func:`_settle_holders`),
    under their holder locks (:func:`_lock_holders`, taken here once for all), 20 000
    organisations per query; what changed is audited — with ``cause`` (the revoked record) as
    the record of each relation ended, else the record naming the holder that now holds; a
    reopened holder with the record naming it (``cause`` for a holder no record names)."""
    if not organization_ids:
        return
    _lock_holders(organization_ids)
    ids = sorted(organization_ids)
    for n in range(0, len(ids), CHUNK_ROWS):
        end, back = _settle_holders(set(ids[n:n + CHUNK_ROWS]))
        if not end and not back:
            continue
        about: dict[int, _Change] = {i: (o, k, cause if cause is not None else r) for i, o, k, _, r in end}
        about |= {i: (o, k, r if r is not None else cause) for i, o, k, _, r in back}
        ended, reopened = subject_services.set_relation_ends(ending=[h[0] for h in end], reopening=[h[0] for h in back],
                                                             on=timezone.localdate())
        _audit_changes(ended, reopened, about, actor=actor, object_type=object_type, object_id=object_id)


def _merge(table: str, chunk: _Chunk, batch: Batch, now: Any) -> tuple[int, list[int]]:
    """Supersede changed records and write new versions. Returns (inserted, superseded ids).

    One index probe per staged row finds the key's active record (``LIMIT 1`` inside ``LATERAL``
    keeps the staged rows on the outer side whatever the statistics say); only the keys found
    come back. New versions are then written by COPY straight into the records table: the
    producer prepared each line, the subject id (from the chunk's subject map) and the version
    number go in front. The partial unique index on active records remains the guarantee: two
    active versions of a key cannot commit.
    """
    records = Record._meta.db_table
    version = batch.entry_version
    previous = {int(n): (int(old_id), int(old_version), bool(changed)) for n, old_id, old_version, changed in _fetch(
        f"""SELECT s.row_number, r.id, r.version, r.content_hash <> s.content_hash FROM {table} s
            CROSS JOIN LATERAL (SELECT x.id, x.version, x.content_hash FROM {records} x
                                WHERE x.entry_id = %s AND x.status = %s AND x.natural_key = s.natural_key
                                LIMIT 1) r
            WHERE s.ok""", [version.entry_id, RecordStatus.ACTIVE])}
    changed = [old_id for old_id, _, differs in previous.values() if differs]
    if changed:
        _execute(
            f"UPDATE {records} SET status = %s, status_changed_at = %s, status_reason = %s WHERE id = ANY(%s)",
            [RecordStatus.SUPERSEDED, now, f"由报送批次 #{batch.pk} 更正", changed])
    subject_of = {(str(code), str(name)): subject_id
                  for code, name, subject_id in _fetch(f"SELECT code, name, subject_id FROM {table}_who")}
    pieces: list[bytes] = []  # the subject id and version of a line, then the rest of it as produced
    for row_number, (code, name, tail) in chunk.records.items():
        prior = previous.get(row_number)
        if prior is not None and not prior[2]:
            continue  # unchanged
        subject_id = subject_of.get((code, name))
        if subject_id is None:  # pragma: no cover - every code is registered before this point
            raise RuntimeError(f"row {row_number}: its subject was not registered")
        pieces.append(b"%d\t%d\t" % (subject_id, prior[1] + 1 if prior else 1))
        pieces.append(tail)
    if pieces:
        with connection.cursor() as cur, cur.cursor.copy(
                f"COPY {records} ({', '.join(_RECORD_COLUMNS)}) FROM STDIN") as copy:
            copy.write(b"".join(pieces))
    return len(pieces) // 2, changed


def _record_constants(batch: Batch, now: Any) -> str:
    """The batch's constant record columns (``_RECORD_COLUMNS`` after the disclosure date), COPY-formatted."""
    version = batch.entry_version
    return "\t".join((str(version.entry_id), str(version.pk), str(batch.department_id), version.entry.info_class,
                      version.open_level, RecordSource.PUBLIC, RecordStatus.ACTIVE, now.isoformat(), str(batch.pk),
                      ""))


@transaction.atomic
def _process(*, version: CatalogVersion, department: Department, rows: Iterable[tuple[int, Mapping[str, Any]]],
             channel: str, filename: str, file_digest: str, actor: str, validator: RowValidator,
             column_map: dict[str, str] | None, progress: Callable[[int], None] | None,
             received: Batch | None = None) -> Batch:
    now = timezone.now()
    source = rows if isinstance(rows, RowSource) else None
    if received is not None:  # a queued file (collection.queued): its batch row exists already
        # Whoever holds this lock processes the batch; a second task for it waits, then finds it done.
        _execute("SELECT pg_advisory_xact_lock(%s, %s)", [QUEUED_BATCH_LOCK, received.pk])
        batch = Batch.objects.get(pk=received.pk)
        if batch.status not in (BatchStatus.RECEIVED, BatchStatus.PROCESSING):
            return batch
        # Checked again when collection starts, as at upload: a department deactivated (or no longer
        # the entry's provider) since its file was received has it refused, nothing written.
        try:
            submission_version(version.entry.code, Department.objects.get(pk=batch.department_id))
        except (NotFound, NotPermitted) as exc:
            raise InvalidInput(f"{RECEIVED_NOT_ALLOWED}{exc.message}", field=exc.field) from exc
        batch.status = BatchStatus.PROCESSING
        batch.started_at = batch.started_at or now
    else:
        batch = Batch.objects.create(
            entry=version.entry, entry_version=version, department=department, channel=channel,
            filename=filename[:255], file_digest=file_digest, status=BatchStatus.PROCESSING, created_by=actor,
            started_at=now, file_format=source.format if source else "json",
            encoding=source.encoding if source else "",
            columns=list(source.columns) if source is not None and source.columns is not None else [])
    # One batch per entry at a time: concurrent batches would race for the same natural keys. A
    # revocation takes the same lock (revoke_record): the revoked keys are read again under it, so
    # one that committed while this batch waited is refused, not written as a new version 1.
    _execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ENTRY_LOCK, version.entry_id])
    validator.revoked = revoked_keys(version.entry_id)
    table = f"collection_stage_{batch.pk}"
    _execute(_stage_sql(table))
    _execute(_who_sql(table))
    rows_total = ok_total = inserted_total = superseded_total = rejected_total = 0
    settle: set[int] = set()  # organisations whose legal representative or principal is to be settled
    producer = _Producer(rows, validator, column_map, _record_constants(batch, now))
    producer.start()
    try:
        with _index_probes(), _responsive_switching():
            for number, chunk in enumerate(producer.chunks()):
                if isinstance(chunk, _Done):
                    if not batch.columns and chunk.columns:
                        batch.columns = chunk.columns
                    continue
                if number:
                    _execute(f"TRUNCATE {table}")
                _copy_chunk(table, chunk)
                _identify(table)
                _register_subjects(table, chunk, batch=batch, actor=actor)
                inserted, changed = _merge(table, chunk, batch, now)
                superseded = len(changed)
                named, reopen, holders = _relate(chunk.relations, batch=batch, actor=actor,
                                                 entry_id=version.entry_id)
                _name_reviews(table, batch, named)
                # Relations that only the superseded versions named end; legal representatives settle below.
                settle |= _end_relations_of(changed if validator.relation_specs else [], reopen=reopen,
                                            holders=holders, actor=actor, object_type="batch", object_id=str(batch.pk))
                rejected_total += _execute(
                    f"""INSERT INTO {BatchRejection._meta.db_table} (batch_id, row_number, field, reason, raw)
                        SELECT %s, row_number, coalesce(field, ''), reason, raw FROM {table} WHERE NOT ok
                        ORDER BY row_number""", [batch.pk])
                rows_total += chunk.rows
                ok_total += chunk.ok
                inserted_total += inserted
                superseded_total += superseded
                if progress is not None:
                    progress(chunk.rows)
            # Legal representatives and principals settle once, after the last chunk: their locks
            # are then taken all at once, in order (_lock_holders).
            _settle_organizations(settle, actor=actor, object_type="batch", object_id=str(batch.pk))
    finally:
        producer.stop.set()
    _execute(f"DROP TABLE {table}")
    if rows_total == 0:  # a header and nothing else: "已完成，0 行" read as a success to the officer
        raise InvalidInput("没有数据行：文件只有表头（或只有空行），未报送任何数据" if source is not None
                           and source.format != "json" else "rows 为空：未报送任何数据",
                           field="file" if source is not None and source.format != "json" else "rows")
    batch.row_count = rows_total
    batch.accepted = inserted_total - superseded_total
    batch.updated = superseded_total
    batch.unchanged = ok_total - inserted_total
    batch.rejected = rejected_total
    if source is not None:
        batch.file_digest = file_digest or source.digest
    batch.status = BatchStatus.COMPLETED
    batch.finished_at = timezone.now()
    batch.save()
    _audit("collection:batch:completed", actor=actor, object_type="batch", object_id=str(batch.pk), subject_id=None,
           data={"entry": version.entry.code, "version": version.number, "department": department.code,
                 "rows": batch.row_count, "accepted": batch.accepted, "updated": batch.updated,
                 "unchanged": batch.unchanged, "rejected": batch.rejected, "digest": batch.file_digest})
    return batch


def submission_version(entry_code: str, department: Department) -> CatalogVersion:
    """The catalog version a department's rows under ``entry_code`` are checked against (Art. 13).

    The entry's published version; raises NotFound (unknown entry, or none published) and
    NotPermitted (a department submits only under entries it provides, and only while active).
    """
    if entry_code in rules.MARKET_ENTRIES:
        # Art. 15, 17: written only by the subject itself (self-declared) or by an authorised credit
        # agency (collection.market), never by a department's batch — the platform unit provides them.
        raise NotPermitted(f"目录条目 {entry_code} 是市场信用信息，只能由信用主体自主申报或经授权的信用服务机构共享，"
                           "不接受部门报送（第十五条、第十七条）", field="entry")
    version = catalog_queries.published_version(entry_code)
    if version.entry.department_id != department.pk:
        raise NotPermitted(f"目录条目 {entry_code} 的提供单位是 {version.entry.department.name}，"
                           f"{department.name} 不能在该条目下报送（第十三条）", field="entry")
    if not department.is_active:
        raise NotPermitted(f"部门 {department.name} 已停用，不能报送", field="department")
    return version


def submit_batch(*, entry_code: str, department: Department, rows: Iterable[tuple[int, Mapping[str, Any]]],
                 channel: str, filename: str = "", file_digest: str = "", actor: str,
                 progress: Callable[[int], None] | None = None) -> Batch:
    """Validate and collect one batch of rows under a catalog entry (Art. 13, 15, 37).

    ``rows`` are ``(data row number, {column: value})``: a :class:`~pubcredit.collection.readers.RowSource`
    from ``open_rows``/``rows_from_dicts`` (its header is checked before any row is read, and its
    digest recorded) or any iterable of such pairs. Each row is accepted whole or rejected whole
    with its row number, field and Chinese reason. An accepted row whose natural key has an
    active record with the same content (and subject) is ``unchanged``; with different content it
    becomes the next version and the old one is kept, superseded; a new key is version 1. Unknown
    subjects are registered unverified, contradicting names flagged for review, relations of
    basic-information entries recorded (and those only a superseded version named ended).
    Everything happens in one transaction, so a crash leaves nothing; ``progress`` is called
    with the number of rows read since its last call.

    Raises NotFound (unknown entry, or none published), NotPermitted (Art. 13: a department
    submits only under entries it provides), InvalidInput (a file that cannot be read as a whole,
    or columns that are not in the catalog — the whole file is refused, and recorded as a failed
    batch).
    """
    who = _actor(actor)
    if channel not in BatchChannel.values:
        raise InvalidInput(f"未知的报送渠道 {channel}", field="channel")
    version = submission_version(entry_code, department)
    validator = compile_version(version)
    source = rows if isinstance(rows, RowSource) else None
    try:
        column_map = (validator.column_map(source.columns)
                      if source is not None and source.columns is not None else None)
        return _process(version=version, department=department, rows=rows, channel=channel, filename=filename,
                        file_digest=file_digest, actor=who, validator=validator, column_map=column_map,
                        progress=progress)
    except InvalidInput as exc:
        _record_failure(version=version, department=department, channel=channel, filename=filename,
                        file_digest=file_digest, actor=who, source=source, error=exc.message)
        raise


def receive_batch(*, entry_code: str, department: Department, source: RowSource, filename: str, file_digest: str,
                  spool_name: str, actor: str, enqueue: Callable[[Batch], object],
                  channel: str = BatchChannel.FILE) -> Batch:
    """Record a file whose rows are collected later, by a background task (``collection.queued``).

    The same checks as ``submit_batch`` before anything is kept: the entry, the department's right
    to submit under it (Art. 13), and the file's header against the published catalog version
    (unknown or duplicate columns refuse the whole file: InvalidInput, recorded as a failed
    batch). The batch is then ``received``, pinned to that catalog version; ``enqueue`` runs
    (with the batch) inside the transaction that keeps it, so a batch exists exactly when its task
    does. ``channel`` is how the file came: a department's program (``file``, the default) or an
    officer's upload in the back-office (``admin``).
    """
    who = _actor(actor)
    if channel not in (BatchChannel.FILE, BatchChannel.ADMIN):
        raise InvalidInput(f"后台处理只适用于上传的文件，不适用于报送渠道 {channel}", field="channel")
    version = submission_version(entry_code, department)
    validator = compile_version(version)
    try:
        if source.columns is not None:
            validator.column_map(source.columns)
    except InvalidInput as exc:
        _record_failure(version=version, department=department, channel=channel, filename=filename,
                        file_digest=file_digest, actor=who, source=source, error=exc.message)
        raise
    with transaction.atomic():
        batch = Batch.objects.create(
            entry=version.entry, entry_version=version, department=department, channel=channel,
            filename=storable(filename)[:255], file_digest=file_digest, status=BatchStatus.RECEIVED, created_by=who,
            spool_name=spool_name, file_format=source.format, encoding=source.encoding,
            columns=list(source.columns) if source.columns is not None else [])
        _audit("collection:batch:received", actor=who, object_type="batch", object_id=str(batch.pk),
               subject_id=None, data={"entry": version.entry.code, "version": version.number,
                                      "department": department.code, "filename": batch.filename,
                                      "digest": file_digest})
        enqueue(batch)
    return batch


#: The reason of a received file refused when its collection starts (``_process``), before the check's own.
RECEIVED_NOT_ALLOWED = "收到文件后报送条件已不再满足，本批次未写入任何记录："


def start_received(batch: Batch) -> Batch:
    """Show a received batch as ``processing`` (committed at once, so a department polling sees it)."""
    Batch.objects.filter(pk=batch.pk, status=BatchStatus.RECEIVED).update(
        status=BatchStatus.PROCESSING, started_at=timezone.now())
    batch.refresh_from_db()
    return batch


def process_received(batch: Batch, rows: RowSource, *, progress: Callable[[int], None] | None = None) -> Batch:
    """Collect the rows of a received batch: the same validation and writing as ``submit_batch``.

    Against the catalog version the batch was received under, in one transaction. Safe to call
    more than once for a batch (a task run twice, or again after a crash): one call processes it,
    the others wait for it and return it as it ended. A file that turns out unreadable midway
    (InvalidInput) leaves no record and marks the batch failed with the reason.
    """
    if batch.status not in (BatchStatus.RECEIVED, BatchStatus.PROCESSING):
        return batch
    version = batch.entry_version
    validator = compile_version(version)
    try:
        column_map = validator.column_map(rows.columns) if rows.columns is not None else None
        return _process(version=version, department=batch.department, rows=rows, channel=batch.channel,
                        filename=batch.filename, file_digest=batch.file_digest, actor=batch.created_by,
                        validator=validator, column_map=column_map, progress=progress, received=batch)
    except InvalidInput as exc:
        return fail_received(batch, exc.message)


@transaction.atomic
def fail_received(batch: Batch, error: str) -> Batch:
    """End a received batch as failed, with the reason the department reads (no record was kept)."""
    updated = Batch.objects.filter(pk=batch.pk, status__in=(BatchStatus.RECEIVED, BatchStatus.PROCESSING)).update(
        status=BatchStatus.FAILED, error=storable(error)[:REASON_MAX], finished_at=timezone.now())
    batch.refresh_from_db()
    if updated:
        _audit("collection:batch:failed", actor=batch.created_by, object_type="batch", object_id=str(batch.pk),
               subject_id=None, data={"entry": batch.entry.code, "error": batch.error})
    return batch


@transaction.atomic
def _record_failure(*, version: CatalogVersion, department: Department, channel: str, filename: str,
                    file_digest: str, actor: str, source: RowSource | None, error: str) -> Batch:
    now = timezone.now()
    batch = Batch.objects.create(
        entry=version.entry, entry_version=version, department=department, channel=channel,
        filename=storable(filename)[:255], file_digest=file_digest, status=BatchStatus.FAILED,
        error=storable(error)[:REASON_MAX],  # the message may quote a column name with a NUL in it
        created_by=actor, started_at=now, finished_at=now, file_format=source.format if source else "json",
        encoding=source.encoding if source else "")
    _audit("collection:batch:failed", actor=actor, object_type="batch", object_id=str(batch.pk), subject_id=None,
           data={"entry": version.entry.code, "error": batch.error, "channel": channel})
    return batch


def rejected_rows_csv(batch: Batch) -> Iterator[str]:
    """The rejected rows of a batch as CSV text, chunk by chunk, for the department to fix and resend.

    UTF-8 with a BOM (so Excel opens it): the columns as submitted, then 行号 (data row number),
    字段 and 原因. Personal values are decrypted — the file is the department's own data: only the
    submitting department may be given it (the caller checks).
    """
    columns = [str(c) for c in batch.columns or []]
    if not columns:
        seen: dict[str, None] = {}
        for raw in batch.rejections.values_list("raw", flat=True):
            for key in raw or {}:
                seen.setdefault(str(key), None)
        columns = list(seen)
    # A file that was itself a rejected-rows file sent back: its 行号/字段/原因 are this file's own.
    specs = batch.entry_version.fields or []
    fields = {str(s["name"]) for s in specs} | {str(s.get("label") or "") for s in specs}
    columns = [c for c in columns if c.strip() not in rules.REJECTION_COLUMNS or c.strip() in fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow([*columns, *rules.REJECTION_COLUMNS])
    yield "\ufeff" + take()
    for rejection in batch.rejections.order_by("row_number", "id").iterator(chunk_size=2000):
        raw = reveal_raw(rejection.raw or {})
        writer.writerow([_csv_cell(raw.get(c)) for c in columns] + [rejection.row_number, rejection.field,
                                                                     rejection.reason])
        yield take()


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- corrections and revocations ----------------------------------------------------------------


def natural_key_of(version: CatalogVersion, values: Mapping[str, Any]) -> str:
    """The stored natural key for the key fields' values as a department would send them.

    Personal values (a resident ID in the key) are cleaned and replaced by their keyed hash, as
    in collection. Raises InvalidInput naming a missing or invalid key field.
    """
    validator = RowValidator(version, today=timezone.localdate(), info_class=version.entry.info_class,
                             consents=ConsentBook(), revoked={}, hash_id=pii.resident_id_hash)
    checkers = dict(validator.checkers)
    parts = []
    for name in validator.key_fields:
        value = values.get(name)
        if rules.is_empty(value):
            raise InvalidInput(f"缺少业务主键字段 {name}", field=name)
        try:
            cleaned = checkers[name](value)
        except rules.FieldError as exc:
            raise InvalidInput(exc.reason, field=name) from exc
        parts.append(pii.resident_id_hash(str(cleaned)) if name in validator.personal_set else str(cleaned))
    return rules.natural_key_string(parts)


@transaction.atomic
def revoke_record(record: int | tuple[str, str | Mapping[str, Any]], *, department: Department, reason: str,
                  actor: str) -> Record:
    """Revoke a collected record with a reason; only its source department may (Art. 13, 34).

    ``record`` is a record id or ``(entry code, natural key)`` — the stored key, or the key
    fields' values as submitted. The record is kept, marked revoked with reason and time (never
    deleted); a later resend of the same key is refused. The relations that only this record
    named end (a legal representative it replaced comes back). Raises InvalidInput (no reason),
    NotFound (also for another department's record: whether it exists is not told), NotPermitted
    (an entry the department does not provide), Conflict (not the active version).
    """
    who = _actor(actor)
    why = one_line(reason, field="reason")
    if not why:
        raise InvalidInput("撤销必须说明理由", field="reason")
    if not isinstance(record, int):
        key_parts = [record[1]] if isinstance(record[1], str) else [*record[1], *record[1].values()]
        if any("\x00" in str(part) for part in (record[0], *key_parts)):
            raise NotFound("未找到该信用记录", field="record")
        # Only the provider of an entry has records under it to revoke: another department is told
        # so before any look-up, so it cannot learn whether a decision number exists there.
        provider = CatalogEntry.objects.filter(code=record[0]).values_list("department_id", flat=True).first()
        if provider is not None and provider != department.pk:
            raise NotPermitted(f"目录条目 {record[0]} 不由本部门提供，不能撤销其下的记录", field="department")
    # The entry's batch lock first (as _process takes it): a revocation waits for a batch of the
    # entry in flight, and a batch that starts meanwhile waits for it and then sees the key revoked.
    entry_id = (Record.objects.filter(pk=record).values_list("entry_id", flat=True).first()
                if isinstance(record, int) else
                CatalogEntry.objects.filter(code=record[0]).values_list("pk", flat=True).first())
    if entry_id is not None:
        _execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ENTRY_LOCK, entry_id])
    qs = Record.objects.select_for_update().select_related("entry")
    if isinstance(record, int):
        found = qs.filter(pk=record).first()
    else:
        entry_code, key = record
        if isinstance(key, Mapping):
            key = natural_key_of(catalog_queries.published_version(entry_code), key)
        found = (qs.filter(entry__code=entry_code, natural_key=key).order_by("-version").first())
    if found is None or found.department_id != department.pk:  # another's record: as if there were none
        raise NotFound("未找到该信用记录", field="record")
    if found.entry.code in rules.MARKET_ENTRIES:  # the subject withdraws its own declaration (collection.market)
        raise NotPermitted("市场信用信息由申报的信用主体撤回，或由共享的信用服务机构更正，部门不能撤销", field="record")
    if found.status == RecordStatus.REVOKED:
        raise Conflict(f"该记录已于 {timezone.localtime(found.status_changed_at):%Y-%m-%d} 撤销"
                       if found.status_changed_at else "该记录已撤销", field="record")
    if found.status != RecordStatus.ACTIVE:
        raise Conflict("该版本已被更正，只能撤销现行版本", field="record")
    before = found.status
    found.status = RecordStatus.REVOKED
    found.status_reason = why[:REASON_MAX]
    found.status_changed_at = timezone.now()
    found.save(update_fields=["status", "status_reason", "status_changed_at"])
    # The relations it alone named end; its organisations' legal representatives settle (Art. 10, 26).
    settle = _end_relations_of([found.pk], actor=who, object_type="record", object_id=str(found.pk))
    _settle_organizations(settle, cause=found.pk, actor=who, object_type="record", object_id=str(found.pk))
    _audit("collection:record:revoked", actor=who, object_type="record", object_id=str(found.pk),
           subject_id=found.subject_id, data={"before": before, "after": found.status, "reason": found.status_reason,
                                              "entry": found.entry.code, "version": found.version})
    return found


# --- name reviews ------------------------------------------------------------------------------


@transaction.atomic
def resolve_name_review(review: NameReview | int, *, resolution: str, department: Department | None, note: str = "",
                        actor: str) -> NameReview:
    """Resolve a flagged name (a submitted name that contradicted the known one), audited.

    ``renamed``: the submitted name is the subject's name now — the subject is renamed through
    ``subjects.services.rename`` (the old name kept as a former name, so records under it still
    match; the subject's other open reviews close with it). ``kept``: the known name stays.
    ``note`` says why (one line). ``department`` is the resolver's: a department resolves only
    the reviews its own batches flagged (Art. 14: it decides on its own submissions, not on another
    department's); ``None`` is the platform operator, who resolves any. Raises InvalidInput
    (unknown resolution, no actor), NotFound, NotPermitted (another department's review),
    Conflict (already resolved).
    """
    who = _actor(actor)
    if resolution not in NameReviewResolution.values:
        raise InvalidInput(f"处理结果应为 {'、'.join(NameReviewResolution.values)} 之一", field="resolution")
    why = one_line(note or "", field="note")[:REASON_MAX]
    pk = review.pk if isinstance(review, NameReview) else review
    locked = NameReview.objects.select_for_update().select_related("subject").filter(pk=pk).first()
    if locked is None:
        raise NotFound("未找到该名称待核记录", field="review")
    if department is not None and not Batch.objects.filter(pk=locked.batch_id, department_id=department.pk).exists():
        raise NotPermitted("该名称待核记录由其他部门的报送批次产生，只能由该部门或平台运营人员处理", field="review")
    if locked.resolved_at is not None:
        raise Conflict(f"该名称待核记录已于 {timezone.localtime(locked.resolved_at):%Y-%m-%d} 处理", field="review")
    locked.resolved_at = timezone.now()
    locked.resolution = resolution
    locked.resolved_by = who
    locked.note = why
    locked.save(update_fields=["resolved_at", "resolution", "resolved_by", "note"])
    _audit("collection:name_review:resolved", actor=who, object_type="name_review", object_id=str(locked.pk),
           subject_id=locked.subject_id, data={"resolution": resolution, "submitted_name": locked.submitted_name,
                                               "known_name": locked.known_name, "note": why})
    if resolution == NameReviewResolution.RENAMED:
        subject_services.rename(locked.subject, locked.submitted_name, source=f"名称待核 #{locked.pk}", actor=who)
    return locked


def close_reviews_on_rename(subject: Subject, *, new_name: str, actor: str) -> int:
    """Close a renamed subject's open name reviews (``renamed``): its name has been decided.

    Called on ``subjects.signals.subject_renamed`` (whoever renamed it). A name a review asked
    about that is neither the new name nor a former one is flagged again if it is sent again.
    """
    who = _actor(actor)
    now = timezone.now()
    ids = list(NameReview.objects.select_for_update().filter(subject=subject, resolved_at__isnull=True)
               .values_list("pk", flat=True))
    if not ids:
        return 0
    note = f"主体已更名为“{new_name}”"[:REASON_MAX]
    NameReview.objects.filter(pk__in=ids).update(resolved_at=now, resolution=NameReviewResolution.RENAMED,
                                                 resolved_by=who, note=note)
    _audit("collection:name_review:closed_by_rename", actor=who, object_type="subject", object_id=str(subject.pk),
           subject_id=subject.pk, data={"reviews": ids, "new_name": new_name})
    return len(ids)


# --- written consents (Art. 37 para. 3) --------------------------------------------------------


@transaction.atomic
def record_consent(*, subject: Subject, department: Department, category: str, document_ref: str, given_on: date,
                   expires_on: date | None = None, actor: str) -> Consent:
    """Record a natural person's written consent to the collection of property or tax-amount data.

    Art. 37 para. 3: without it, a person's rows carrying such fields are refused. Raises
    InvalidInput (not a person, unknown category, no document reference, dates out of order or
    in the future).
    """
    who = _actor(actor)
    if subject.kind != SubjectKind.NATURAL_PERSON:
        raise InvalidInput("书面同意只适用于自然人", field="subject")
    if category not in rules.CONSENT_LABELS:
        raise InvalidInput(f"同意事项应为 {'、'.join(rules.CONSENT_LABELS)} 之一", field="category")
    ref = (document_ref or "").strip()
    if not ref:
        raise InvalidInput("必须填写书面同意文书编号", field="document_ref")
    if len(ref) > 100:
        raise InvalidInput("书面同意文书编号不能超过 100 个字符", field="document_ref")
    if given_on > timezone.localdate():
        raise InvalidInput("同意日期不能晚于今天", field="given_on")
    if expires_on is not None and expires_on < given_on:
        raise InvalidInput("有效期至不能早于同意日期", field="expires_on")
    consent = Consent.objects.create(subject=subject, department=department, category=category, document_ref=ref,
                                     given_on=given_on, expires_on=expires_on, recorded_by=who)
    _audit("collection:consent:recorded", actor=who, object_type="consent", object_id=str(consent.pk),
           subject_id=subject.pk, data={"category": category, "department": department.code,
                                        "given_on": given_on.isoformat(),
                                        "expires_on": expires_on.isoformat() if expires_on else None})
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, department: Department, actor: str) -> Consent:
    """Record that the person withdrew a written consent (Art. 37): later rows needing it are refused.

    Only the department that recorded the consent records its withdrawal. Raises NotPermitted,
    Conflict (already withdrawn).
    """
    who = _actor(actor)
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.department_id != department.pk:
        raise NotPermitted("只有登记该书面同意的部门可以登记撤回", field="department")
    if locked.withdrawn_at is not None:
        raise Conflict("该书面同意已撤回", field="consent")
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["withdrawn_at"])
    _audit("collection:consent:withdrawn", actor=who, object_type="consent", object_id=str(locked.pk),
           subject_id=locked.subject_id, data={"category": locked.category})
    return locked
