"""The only writers of the audit chain: record an event, seal the chain, sign a checkpoint.

Art. 38 (no forging, altering or hiding credit information), Art. 39 (query logs are neither
altered nor deleted), Art. 51 (security and archive duties).

Appending never serialises requests: :func:`record_event` is one plain INSERT in the caller's
transaction, with no lock. :func:`seal` chains the rows afterwards, one sealer at a time (a
transaction-level advisory lock), in small batches.

Sealing rule (late rows): each run takes every *visible* unsealed row in ``id`` order and
appends it to the chain's end. A row whose transaction commits after rows with higher ids
were sealed is simply sealed by the next run, with a later ``seq``. Nothing waits and nothing
is skipped; ``seq`` order (not ``id`` or ``at`` order) is the chain order.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from pubcredit import prepared
from pubcredit.audit import keys, rules
from pubcredit.audit.models import AuditEntry, Checkpoint
from pubcredit.codes.masking import mask_text
from pubcredit.errors import Conflict, InvalidInput

#: The advisory lock that admits one sealer (and checkpoint signer) at a time, cluster-wide.
SEAL_LOCK_KEY = zlib.crc32(b"pubcredit.audit.seal")
DEFAULT_BATCH = 5000

_SELECT_UNSEALED = f"SELECT {rules.SELECT_ENTRY} FROM audit_auditentry WHERE seq IS NULL ORDER BY id LIMIT %s"
_SELECT_HEAD = "SELECT seq, entry_hash FROM audit_auditentry WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
_UPDATE_CHAIN = """
    UPDATE audit_auditentry AS e
    SET seq = v.seq, prev_hash = v.prev_hash, entry_hash = v.entry_hash, sealed_at = %s
    FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) AS v(id, seq, prev_hash, entry_hash)
    WHERE e.id = v.id
"""
# Every entry is unsealed exactly once, so the planner's statistics for "seq IS NULL" are
# nearly always wrong (a burst of a million, or a handful among a billion). Left alone, it
# bitmap-scans every unsealed (and every recently sealed, still-dead) index entry and hash-joins
# the whole set on each batch: quadratic. Walking the partial index in id order stops after
# max_rows, marks dead index entries as it passes them, and the UPDATE finds rows by primary key.
_PLAN_BY_INDEX = ("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                  "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")


def _text(value: object, field: str, max_length: int, *, required: bool = False) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput("应为非空文本" if required else "应为文本", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(f"不能超过 {max_length} 个字符", field=field)
    if "\x00" in value:
        raise InvalidInput("不能包含 NUL 字符", field=field)
    return mask_text(value)


def _data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidInput("应为 JSON 对象", field="data")
    try:
        encoded = json.dumps(data, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"不能序列化为 JSON（{exc}）", field="data") from exc
    if len(encoded.encode("utf-8")) > rules.DATA_MAX_BYTES:
        raise InvalidInput(f"不能超过 {rules.DATA_MAX_BYTES} 字节", field="data")
    if rules.has_nul(data):
        raise InvalidInput("不能包含 NUL 字符", field="data")
    # JSON round trip: what is stored (and hashed) is plain JSON, never a caller's live object.
    masked: dict[str, Any] = rules.mask_data(json.loads(encoded))
    return masked


@dataclass(frozen=True)
class Event:
    """One audit entry's content, checked and masked (``prepare_event``), not yet written."""

    event: str
    actor: str
    actor_role: str
    object_type: str
    object_id: str
    subject_id: int | None
    channel: str
    data: dict[str, Any]


def prepare_event(event: str, *, actor: str, actor_role: str = "", object_type: str = "",
                  object_id: str | int = "", subject_id: int | None = None, channel: str = "",
                  data: Mapping[str, Any] | None = None) -> Event:
    """Check and mask an audit entry's content, as ``record_event`` writes it. Raises InvalidInput
    naming the field for a bad event code, actor, channel, subject id or data."""
    try:
        code = rules.check_event(event)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="event") from exc
    if channel not in ("", *rules.CHANNELS):
        raise InvalidInput(f"渠道应为 {'、'.join(rules.CHANNELS)} 之一", field="channel")
    if subject_id is not None and (isinstance(subject_id, bool) or not isinstance(subject_id, int)):
        raise InvalidInput("应为整数", field="subject_id")
    if isinstance(object_id, int) and not isinstance(object_id, bool):
        object_id = str(object_id)
    return Event(
        event=code,
        actor=_text(actor, "actor", 200, required=True),
        actor_role=_text(actor_role, "actor_role", 32),
        object_type=_text(object_type, "object_type", 64),
        object_id=_text(object_id, "object_id", 128),
        subject_id=subject_id,
        channel=channel,
        data=_data(data),
    )


def record_event(event: str, *, actor: str, actor_role: str = "", object_type: str = "",
                 object_id: str | int = "", subject_id: int | None = None, channel: str = "",
                 data: Mapping[str, Any] | None = None) -> None:
    """Append one entry to the audit log, in the caller's transaction (Art. 38, 39, 51).

    A plain INSERT without locks: it commits or rolls back with the operation it records.
    ``event`` is a typed code such as ``catalog:version:published``; ``data`` holds
    before/after values, purpose, matter… as JSON — never a resident ID in clear (callers pass
    masked values; anything ID-shaped is masked again here). Raises InvalidInput naming the
    field for a bad event code, actor, channel, subject id or data.
    """
    entry = prepare_event(event, actor=actor, actor_role=actor_role, object_type=object_type,
                          object_id=object_id, subject_id=subject_id, channel=channel, data=data)
    AuditEntry.objects.create(event=entry.event, actor=entry.actor, actor_role=entry.actor_role,
                              object_type=entry.object_type, object_id=entry.object_id,
                              subject_id=entry.subject_id, channel=entry.channel, data=entry.data)


_EVENT_COLUMNS = "event, actor, actor_role, object_type, object_id, subject_id, channel, data"


@dataclass(frozen=True)
class Insert:
    """A pending write: ``sql`` is one ``INSERT … RETURNING …`` of at most one row, ``event`` the audit
    entry that goes with it (written only if the row is). With ``object_id_is_new_id`` the entry's
    ``object_id`` is the new row's ``id`` (a query-log row names itself)."""

    sql: str
    params: Sequence[Any]
    event: Event
    object_id_is_new_id: bool = False


def insert_with_events(inserts: Sequence[Insert], *, existing_sql: str = "", existing_params: Sequence[Any] = ()
                       ) -> tuple[bool, tuple[Any, ...]] | None:
    """Run the ``inserts``, each with its audit entry, as one statement (Art. 39): one round trip,
    atomic without a transaction of its own (all rows are written, or none).

    Returns ``(True, the row the last insert returned)`` when it inserted one. When it did not
    (``ON CONFLICT DO NOTHING``) and ``existing_sql`` is given — a SELECT of the same columns as
    its RETURNING list, e.g. the row it conflicted with — returns ``(False, that row)`` from the
    same statement; else None.
    """
    if not inserts:
        raise ValueError("nothing to insert")
    ctes: list[str] = []
    values: list[Any] = []
    for i, ins in enumerate(inserts):
        ctes.append(f"w{i} AS ({ins.sql})")
        values += ins.params
    # The entries in one INSERT, in the order of the inserts: the sequence gives them their ids in
    # that order (a read's query-log entry before the report it was read for). One audit CTE per
    # insert numbered them in PostgreSQL's execution order of CTEs instead: the last one first.
    entries: list[str] = []
    for i, ins in enumerate(inserts):
        entry = ins.event
        object_id = f"w{i}.id::text" if ins.object_id_is_new_id else "%s::text"
        # Typed placeholders: the statement is prepared, and a SELECT list gives no column to infer from.
        entries.append(f"SELECT {i} AS n, %s::text AS event, %s::text AS actor, %s::text AS actor_role, "
                       f"%s::text AS object_type, {object_id} AS object_id, %s::bigint AS subject_id, "
                       f"%s::text AS channel, %s::jsonb AS data FROM w{i}")
        values += [entry.event, entry.actor, entry.actor_role, entry.object_type]
        if not ins.object_id_is_new_id:
            values.append(entry.object_id)
        values += [entry.subject_id, entry.channel, json.dumps(entry.data, ensure_ascii=False)]
    ordered = f"({entries[0]}) s" if len(entries) == 1 else f"({' UNION ALL '.join(entries)}) s ORDER BY n"
    ctes.append(f"e AS (INSERT INTO audit_auditentry ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM {ordered})")
    last = f"w{len(inserts) - 1}"
    sql = f"WITH {', '.join(ctes)} SELECT true, {last}.* FROM {last}"
    if existing_sql:
        sql += f" UNION ALL SELECT false, o.* FROM ({existing_sql}) o WHERE NOT EXISTS (SELECT 1 FROM {last})"
        values += existing_params
    # Prepared: a handful of shapes (the statements of the callers), each planned once per session.
    row = prepared.fetchone(sql, values)
    return (bool(row[0]), tuple(row[1:])) if row else None


def _lock(*, wait: bool) -> bool:
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        got = cursor.fetchone()
        return bool(got and got[0])


def _head() -> tuple[int, str] | None:
    with connection.cursor() as cursor:
        cursor.execute(_SELECT_HEAD)
        head = cursor.fetchone()
    return (int(head[0]), str(head[1])) if head else None


def seal(max_rows: int = DEFAULT_BATCH, *, wait: bool = False) -> int:
    """Chain up to ``max_rows`` unsealed entries onto the chain's end; return how many (Art. 39).

    One sealer at a time: with ``wait=False`` a run that finds another sealer busy returns 0
    at once (the other one will get the rows, or the next run will). Rows are taken in ``id``
    order among those visible now; a late-committing row joins the end of the chain in a
    later run (see the module docstring). Each row gets ``seq`` = previous + 1,
    ``prev_hash`` = previous ``entry_hash`` and ``entry_hash`` per :func:`rules.entry_hash`.
    """
    if not isinstance(max_rows, int) or max_rows < 1:
        raise InvalidInput("应为正整数", field="max_rows")
    with transaction.atomic():
        if not _lock(wait=wait):
            return 0
        head = _head()
        seq, prev_hash = head if head else (0, rules.GENESIS_HASH)
        with connection.cursor() as cursor:
            cursor.execute(_PLAN_BY_INDEX)
            cursor.execute(_SELECT_UNSEALED, [max_rows])
            rows = [rules.entry_from_db(raw) for raw in cursor.fetchall()]
            if not rows:
                return 0
            sealed_at = timezone.now()
            ids: list[int] = []
            seqs: list[int] = []
            prevs: list[str] = []
            hashes: list[str] = []
            for row in rows:
                seq += 1
                digest = rules.entry_hash(prev_hash, rules.entry_content(row, seq=seq, sealed_at=sealed_at))
                ids.append(row.id)
                seqs.append(seq)
                prevs.append(prev_hash)
                hashes.append(digest)
                prev_hash = digest
            cursor.execute(_UPDATE_CHAIN, [sealed_at, ids, seqs, prevs, hashes])
            if cursor.rowcount != len(rows):  # cannot happen under the lock; never commit a gap
                raise Conflict(f"审计日志封存冲突：应封存 {len(rows)} 条，实际 {cursor.rowcount} 条")
    return len(rows)


def seal_all(batch: int = DEFAULT_BATCH, *, wait: bool = True) -> int:
    """Seal until nothing visible is left unsealed, batch by batch (each its own transaction)."""
    total = 0
    while True:
        done = seal(batch, wait=wait)
        total += done
        if done < batch:
            return total


def checkpoint(*, now: dt.datetime | None = None) -> Checkpoint:
    """Sign the chain's current head: a Checkpoint over (seq, head_hash, created_at) (Art. 39).

    Signed with the Ed25519 key of ``PUBCREDIT_AUDIT_SIGNING_KEY``. If the head already has a
    checkpoint, that one is returned. Raises Conflict if nothing is sealed yet.
    """
    key = keys.configured_key()
    with transaction.atomic():
        _lock(wait=True)
        head = _head()
        if head is None:
            raise Conflict("审计日志尚无已封存的记录，不能签署检查点")
        seq, head_hash = head
        existing = Checkpoint.objects.filter(seq=seq).first()
        if existing is not None:
            return existing
        created_at = now if now is not None else timezone.now()
        signature = keys.sign(key, rules.checkpoint_message(seq, head_hash, created_at))
        return Checkpoint.objects.create(seq=seq, head_hash=head_hash, created_at=created_at,
                                         key_id=key.key_id, signature=signature)

