"""Reading the audit chain, and proving it untouched (Art. 38, 39, 51).

:func:`verify` streams the whole chain in ``seq`` order (constant memory for any length),
recomputes every hash, checks ``seq`` continuity and every signed
checkpoint, and names the first broken entry. :func:`public_key` is what the platform
publishes so anyone can check checkpoints offline.

The log holds who looked at whose credit information: reading it is for auditors and the
platform's own checks. Role checks belong to the caller (``access``); nothing here filters.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

from pubcredit.audit import keys, rules
from pubcredit.audit.models import AuditEntry, Checkpoint

#: Rows per chunk streamed while verifying (and between progress reports).
VERIFY_FETCH = 10_000

_SELECT_SEALED = f"SELECT {rules.SELECT_ENTRY} FROM audit_auditentry WHERE seq IS NOT NULL ORDER BY seq"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PublicKeyInfo:
    """The checkpoint verification key, as published."""

    key_id: str
    public_key_b64: str
    public_key_pem: str
    algorithm: str = keys.ALGORITHM


def public_key() -> PublicKeyInfo:
    """The public half of the checkpoint signing key, with its key id (publish this)."""
    key = keys.configured_key()
    return PublicKeyInfo(key_id=key.key_id, public_key_b64=keys.public_key_b64(key.public),
                         public_key_pem=keys.public_key_pem(key.public))


@dataclass
class VerifyReport:
    """What :func:`verify` found. ``problem`` is the first broken place, or None if the chain is intact."""

    entries: int = 0
    checkpoints: int = 0
    unsealed: int = 0
    oldest_unsealed_at: dt.datetime | None = None
    head_seq: int = 0
    seconds: float = 0.0
    problem: rules.Problem | None = None
    checked_checkpoints: int = field(default=0)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem is not None:
            return f"BROKEN at {self.problem}"
        text = f"OK: {self.entries} entries, {self.checkpoints} checkpoints, verified in {self.seconds:.1f} s"
        if self.unsealed:
            text += f" ({self.unsealed} not sealed yet)"
        return text


def _checkpoint_row(cp: Checkpoint) -> rules.CheckpointRow:
    return rules.CheckpointRow(id=cp.id, seq=cp.seq, head_hash=cp.head_hash, created_at=cp.created_at,
                               key_id=cp.key_id, signature=cp.signature)


def checkpoint_record(cp: rules.CheckpointRow | Checkpoint) -> dict[str, Any]:
    """A checkpoint as a JSON object: the line ``pubcredit audit checkpoints --json`` prints."""
    return {"id": cp.id, "seq": cp.seq, "head_hash": cp.head_hash, "created_at": rules.format_time(cp.created_at),
            "key_id": cp.key_id, "signature": cp.signature}


def parse_checkpoint_record(record: Mapping[str, Any]) -> rules.CheckpointRow:
    """Read back one :func:`checkpoint_record` (kept by an auditor). Raises ValueError if malformed."""
    try:
        created = dt.datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
        return rules.CheckpointRow(id=int(record["id"]), seq=int(record["seq"]), head_hash=str(record["head_hash"]),
                                   created_at=created, key_id=str(record["key_id"]),
                                   signature=str(record["signature"]))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # OverflowError: int(1e400)
        raise ValueError(f"not a checkpoint record: {exc}") from exc


def _signature_check(public_keys: Mapping[str, Ed25519PublicKey]) -> rules.SignatureCheck:
    def check(cp: rules.CheckpointRow) -> str | None:
        try:
            message = rules.checkpoint_message(cp.seq, cp.head_hash, cp.created_at)
        except ValueError as exc:
            return f"cannot rebuild the signed message ({exc})"
        return keys.signature_error(public_keys, cp.key_id, message, cp.signature)

    return check


class _Broken(Exception):
    """Stops the stream at the first problem (the checker keeps it)."""


def _stream_into(checker: rules.ChainChecker, *, progress: Progress | None, total: int) -> None:
    """Feed every sealed entry to ``checker`` in seq order; raise _Broken at its first problem.

    Rows are streamed (libpq chunked rows, constant memory) rather than fetched block by
    block from a server-side cursor: the server keeps producing rows while Python hashes, which
    halves the wall time on a million entries. Stopping early cancels the query, so the stream
    runs in its own savepoint, rolled back on the way out; the caller's transaction stays usable.
    """
    connection.ensure_connection()
    raw_connection = connection.connection
    if raw_connection is None:  # pragma: no cover - ensure_connection() has just opened it
        raise DatabaseError("no database connection")
    chunk = VERIFY_FETCH if psycopg.pq.version() >= 170000 else 1  # chunked rows need libpq 17
    with transaction.atomic(), connection.wrap_database_errors, raw_connection.cursor() as cursor, \
            closing(cursor.stream(_SELECT_SEALED, size=chunk)) as rows:
        for count, raw in enumerate(rows, start=1):
            if checker.feed(rules.entry_from_db(raw)) is not None:
                raise _Broken
            if progress is not None and count % VERIFY_FETCH == 0:
                progress(checker.entries, total)
    if progress is not None:
        progress(checker.entries, total)


def verify(*, progress: Progress | None = None, public_keys: Iterable[Ed25519PublicKey] | None = None,
           extra_checkpoints: Iterable[rules.CheckpointRow] = ()) -> VerifyReport:
    """Verify the whole chain and every checkpoint; name the first broken entry (Art. 39).

    Streams entries in ``seq`` order (constant memory, see :func:`_stream_into`) in one read-only
    repeatable-read snapshot, so concurrent appends and sealing do not disturb it. Checks:
    seq continuity (a deleted row is a gap), each ``prev_hash`` link, each recomputed
    ``entry_hash``, each checkpoint's Ed25519 signature and that its head matches the chain
    at its seq. ``public_keys`` defaults to the configured key's public half; an auditor
    passes the published key(s) instead. ``extra_checkpoints`` are signed heads kept outside
    the database (they catch a rewrite that also deleted the later checkpoints).
    ``progress(done, total)`` is called every :data:`VERIFY_FETCH` entries and at the end.
    """
    started = time.monotonic()
    if public_keys is None:
        public_keys = [keys.configured_key().public]
    by_id = {keys.key_id(pk): pk for pk in public_keys}
    report = VerifyReport()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        stored = [_checkpoint_row(cp) for cp in Checkpoint.objects.order_by("seq", "id")]
        known = set(stored)
        checkpoints = stored + [cp for cp in extra_checkpoints if cp not in known]
        report.checkpoints = len(checkpoints)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), min(at) FROM audit_auditentry WHERE seq IS NULL")
            counted = cursor.fetchone()
            report.unsealed, report.oldest_unsealed_at = (int(counted[0]), counted[1]) if counted else (0, None)
            cursor.execute("SELECT coalesce(max(seq), 0) FROM audit_auditentry")
            top = cursor.fetchone()
            report.head_seq = int(top[0]) if top else 0
        checker = rules.ChainChecker(checkpoints, _signature_check(by_id))
        with suppress(_Broken):
            _stream_into(checker, progress=progress, total=report.head_seq)
        report.problem = checker.finish()
    report.entries = checker.entries
    report.checked_checkpoints = checker.checkpoints_checked
    report.seconds = time.monotonic() - started
    return report


# --- reading the log ---

def entries(*, subject_id: int | None = None, object_type: str | None = None, object_id: str | None = None,
            event_prefix: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries matching every given filter, newest first (for auditors and tests)."""
    qs: QuerySet[AuditEntry] = AuditEntry.objects.all()
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    if object_type is not None:
        qs = qs.filter(object_type=object_type)
    if object_id is not None:
        qs = qs.filter(object_id=object_id)
    if event_prefix:
        qs = qs.filter(event__startswith=event_prefix)
    return list(qs.order_by("-id")[: max(0, limit)])


def checkpoints() -> list[Checkpoint]:
    """Every signed head, oldest first (what ``pubcredit audit checkpoints`` publishes)."""
    return list(Checkpoint.objects.order_by("seq"))


def head() -> tuple[int, str] | None:
    """``(seq, entry_hash)`` of the last sealed entry, or None if nothing is sealed."""
    row = (AuditEntry.objects.filter(seq__isnull=False).order_by("-seq")
           .values_list("seq", "entry_hash").first())
    return (int(row[0]), str(row[1])) if row and row[0] is not None else None


def last_checkpoint_seq() -> int:
    """The seq of the newest checkpoint, 0 if there is none."""
    latest = Checkpoint.objects.order_by("-seq").values_list("seq", flat=True).first()
    return int(latest or 0)


def unsealed_count() -> int:
    return AuditEntry.objects.filter(seq__isnull=True).count()
